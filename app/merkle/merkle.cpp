// RFC 9162 Merkle trees: SHA-256 through OpenSSL's one-shot EVP_Digest, proofs as range plans.
#include "merkle/merkle.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace webpods::merkle {

namespace {

// RFC 9162 §2.1.1: domain separation between leaves and interior nodes, so that no leaf can be
// passed off as a node (second-preimage attacks on the tree).
constexpr unsigned char kLeafPrefix = 0x00;
constexpr unsigned char kNodePrefix = 0x01;

Hash digest(const unsigned char* bytes, std::size_t size) {
    Hash hash{};
    unsigned int length = 0;
    if (EVP_Digest(bytes, size, hash.data(), &length, EVP_sha256(), nullptr) != 1 ||
        length != kHashSize) {
        throw std::runtime_error("EVP_Digest(sha256) failed");
    }
    return hash;
}

// 1 + the position of the highest 1-bit, 0 for 0: between 0 and 64.
int bit_width(std::uint64_t value) {
    for (int bit = 63; bit >= 0; --bit) {
        if (((value >> static_cast<unsigned>(bit)) & 1U) != 0) {
            return bit + 1;
        }
    }
    return 0;
}

// The largest power of two below n, for n >= 2: where RFC 9162 splits a tree of n leaves.
std::uint64_t split_point(std::uint64_t n) {
    return std::uint64_t{1} << static_cast<unsigned>(bit_width(n - 1) - 1);
}

int popcount(std::uint64_t value) {
    int count = 0;
    for (; value != 0; value &= value - 1) {
        ++count;
    }
    return count;
}

}  // namespace

Hash leaf_hash(std::string_view leaf_data) {
    std::string input;
    input.reserve(leaf_data.size() + 1);
    input.push_back(static_cast<char>(kLeafPrefix));
    input.append(leaf_data);
    return digest(reinterpret_cast<const unsigned char*>(input.data()), input.size());
}

Hash node_hash(const Hash& left, const Hash& right) {
    std::array<unsigned char, 1 + 2 * kHashSize> input{};
    input[0] = kNodePrefix;
    std::copy(left.begin(), left.end(), input.begin() + 1);
    std::copy(right.begin(), right.end(), input.begin() + 1 + kHashSize);
    return digest(input.data(), input.size());
}

Hash empty_root() { return digest(nullptr, 0); }

std::string to_bytes(const Hash& hash) {
    return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

std::optional<Hash> from_bytes(std::string_view bytes) {
    if (bytes.size() != kHashSize) {
        return std::nullopt;
    }
    Hash hash{};
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    return hash;
}

std::vector<NodeId> nodes_completed_by(std::uint64_t leaf) {
    std::vector<NodeId> nodes;
    int level = 0;
    do {
        nodes.push_back({level, leaf >> static_cast<unsigned>(level)});
        ++level;
    } while (level < 64 && ((leaf >> static_cast<unsigned>(level - 1)) & 1U) != 0);
    return nodes;
}

std::vector<NodeId> subtrees_of(Range range) {
    if (range.end <= range.begin) {
        throw std::invalid_argument("merkle: empty range");
    }
    const std::uint64_t length = range.end - range.begin;
    // The smallest power of two holding the range must divide its begin: the range is then the
    // left part of an aligned subtree, split exactly as RFC 9162 splits it. (0: 2^64, past
    // every begin.)
    std::uint64_t block = 1;
    while (block != 0 && block < length) {
        block <<= 1U;
    }
    if (block != 0 && range.begin % block != 0) {
        throw std::invalid_argument("merkle: range is not split by the tree");
    }
    std::vector<NodeId> nodes;
    std::uint64_t position = range.begin;
    for (int level = 63; level >= 0; --level) {
        const std::uint64_t width = std::uint64_t{1} << static_cast<unsigned>(level);
        if ((length & width) != 0) {
            nodes.push_back({level, position >> static_cast<unsigned>(level)});
            position += width;
        }
    }
    return nodes;
}

Hash fold(const std::vector<Hash>& roots) {
    if (roots.empty()) {
        throw std::invalid_argument("merkle: fold of no roots");
    }
    Hash hash = roots.back();
    for (auto it = roots.rbegin() + 1; it != roots.rend(); ++it) {
        hash = node_hash(*it, hash);
    }
    return hash;
}

std::vector<Range> inclusion_ranges(std::uint64_t index, std::uint64_t size) {
    if (index >= size) {
        throw std::invalid_argument("merkle: leaf index outside the tree");
    }
    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) or PATH(m - k, D[k:n]) : MTH(D[0:k]):
    // walking down from the root meets the siblings root first, so they are reversed at the end.
    std::vector<Range> siblings;
    Range tree{0, size};
    while (tree.end - tree.begin > 1) {
        const std::uint64_t middle = tree.begin + split_point(tree.end - tree.begin);
        if (index < middle) {
            siblings.push_back({middle, tree.end});
            tree.end = middle;
        } else {
            siblings.push_back({tree.begin, middle});
            tree.begin = middle;
        }
    }
    std::reverse(siblings.begin(), siblings.end());
    return siblings;
}

std::vector<Range> consistency_ranges(std::uint64_t from, std::uint64_t size) {
    if (from == 0 || from > size) {
        throw std::invalid_argument("merkle: consistency needs 1 <= from <= size");
    }
    // SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1, unrolled from the root down and reversed.
    std::vector<Range> ranges;
    Range tree{0, size};
    std::uint64_t kept = from;   // how many leaves of `tree` the old tree holds
    bool whole_old_tree = true;  // b: the old tree's root is known to the verifier
    while (kept != tree.end - tree.begin) {
        const std::uint64_t half = split_point(tree.end - tree.begin);
        if (kept <= half) {
            ranges.push_back({tree.begin + half, tree.end});
            tree.end = tree.begin + half;
        } else {
            ranges.push_back({tree.begin, tree.begin + half});
            tree.begin += half;
            kept -= half;
            whole_old_tree = false;
        }
    }
    if (!whole_old_tree) {
        ranges.push_back(tree);
    }
    std::reverse(ranges.begin(), ranges.end());
    return ranges;
}

std::vector<NodeId> nodes_of(const std::vector<Range>& ranges) {
    std::vector<NodeId> nodes;
    for (const Range& range : ranges) {
        const std::vector<NodeId> parts = subtrees_of(range);
        nodes.insert(nodes.end(), parts.begin(), parts.end());
    }
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    return nodes;
}

Hash range_hash(Range range, const Nodes& nodes) {
    std::vector<Hash> roots;
    for (const NodeId& id : subtrees_of(range)) {
        const auto found = nodes.find(id);
        if (found == nodes.end()) {
            throw std::out_of_range("merkle: node " + std::to_string(id.level) + "/" +
                                    std::to_string(id.index) + " missing");
        }
        roots.push_back(found->second);
    }
    return fold(roots);
}

std::vector<Hash> range_hashes(const std::vector<Range>& ranges, const Nodes& nodes) {
    std::vector<Hash> hashes;
    hashes.reserve(ranges.size());
    for (const Range& range : ranges) {
        hashes.push_back(range_hash(range, nodes));
    }
    return hashes;
}

bool verify_inclusion(std::uint64_t index,
                      std::uint64_t size,
                      const Hash& leaf,
                      const std::vector<Hash>& proof,
                      const Hash& root) {
    if (index >= size) {
        return false;
    }
    std::uint64_t fn = index;
    std::uint64_t sn = size - 1;
    Hash r = leaf;
    for (const Hash& p : proof) {
        if (sn == 0) {
            return false;
        }
        if ((fn & 1U) != 0 || fn == sn) {
            r = node_hash(p, r);
            while ((fn & 1U) == 0 && fn != 0) {
                fn >>= 1U;
                sn >>= 1U;
            }
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1U;
        sn >>= 1U;
    }
    return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t from,
                        std::uint64_t size,
                        const Hash& from_root,
                        const Hash& size_root,
                        const std::vector<Hash>& proof) {
    if (from == 0 || from > size) {
        return false;
    }
    if (from == size) {
        return proof.empty() && from_root == size_root;
    }
    if (proof.empty()) {
        return false;
    }
    std::vector<Hash> path;
    // An old tree of a power-of-two size is a node of the new one, which the proof leaves out.
    if ((from & (from - 1)) == 0) {
        path.push_back(from_root);
    }
    path.insert(path.end(), proof.begin(), proof.end());
    std::uint64_t fn = from - 1;
    std::uint64_t sn = size - 1;
    while ((fn & 1U) != 0) {
        fn >>= 1U;
        sn >>= 1U;
    }
    Hash fr = path.front();
    Hash sr = path.front();
    for (auto c = path.begin() + 1; c != path.end(); ++c) {
        if (sn == 0) {
            return false;
        }
        if ((fn & 1U) != 0 || fn == sn) {
            fr = node_hash(*c, fr);
            sr = node_hash(*c, sr);
            while ((fn & 1U) == 0 && fn != 0) {
                fn >>= 1U;
                sn >>= 1U;
            }
        } else {
            sr = node_hash(sr, *c);
        }
        fn >>= 1U;
        sn >>= 1U;
    }
    return fr == from_root && sr == size_root && sn == 0;
}

Frontier::Frontier(std::uint64_t size, std::vector<Hash> roots)
    : size_(size), roots_(std::move(roots)) {
    if (static_cast<std::size_t>(popcount(size_)) != roots_.size()) {
        throw std::invalid_argument("merkle: a frontier has one root per 1-bit of its size");
    }
}

void Frontier::append(const Hash& leaf) {
    roots_.push_back(leaf);
    // Each trailing 1-bit of the old size is a subtree of the same height as the new top one.
    for (std::uint64_t carried = size_; (carried & 1U) != 0; carried >>= 1U) {
        const Hash right = roots_.back();
        roots_.pop_back();
        roots_.back() = node_hash(roots_.back(), right);
    }
    ++size_;
}

Hash Frontier::root() const { return roots_.empty() ? empty_root() : fold(roots_); }

}  // namespace webpods::merkle
