// The Merkle tree against the RFC 6962 reference vectors, against a naive recursive reading of
// RFC 9162 §2.1 for every tree up to 64 leaves, and proofs that fail when one byte changes.
#include "merkle/merkle.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "encoding/encoding.h"

namespace merkle = webpods::merkle;
namespace encoding = webpods::encoding;

namespace {

merkle::Hash hash_of_hex(std::string_view hex) {
    return merkle::from_bytes(encoding::hex_decode(hex).value()).value();
}

std::string hex_of(const merkle::Hash& hash) {
    return encoding::hex_encode(merkle::to_bytes(hash));
}

// The eight leaves of the reference tree used by Certificate Transparency implementations
// (google/certificate-transparency, transparency-dev/merkle), and its roots of sizes 1 to 8.
const std::vector<std::string> kReferenceLeaves = {
    "",
    std::string(1, '\0'),
    "\x10",
    "\x20\x21",
    "\x30\x31",
    "\x40\x41\x42\x43",
    "\x50\x51\x52\x53\x54\x55\x56\x57",
    "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
};
const std::vector<std::string_view> kReferenceRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct ReferenceProof {
    std::uint64_t first;  // the leaf index (inclusion) or the old size (consistency)
    std::uint64_t size;
    std::vector<std::string_view> proof;
};

const std::vector<ReferenceProof> kReferenceInclusionProofs = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

const std::vector<ReferenceProof> kReferenceConsistencyProofs = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<merkle::Hash> hashes_of_hex(const std::vector<std::string_view>& hexes) {
    std::vector<merkle::Hash> hashes;
    for (const auto hex : hexes) {
        hashes.push_back(hash_of_hex(hex));
    }
    return hashes;
}

// RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 read literally: recursion over the leaves themselves.
class NaiveTree {
public:
    explicit NaiveTree(std::vector<std::string> leaves) : leaves_(std::move(leaves)) {}

    merkle::Hash mth(std::size_t begin, std::size_t end) const {
        const std::size_t n = end - begin;
        if (n == 0) {
            return merkle::empty_root();
        }
        if (n == 1) {
            return merkle::leaf_hash(leaves_[begin]);
        }
        const std::size_t k = split(n);
        return merkle::node_hash(mth(begin, begin + k), mth(begin + k, end));
    }

    std::vector<merkle::Hash> path(std::size_t m, std::size_t begin, std::size_t end) const {
        const std::size_t n = end - begin;
        if (n <= 1) {
            return {};
        }
        const std::size_t k = split(n);
        std::vector<merkle::Hash> proof;
        if (m < k) {
            proof = path(m, begin, begin + k);
            proof.push_back(mth(begin + k, end));
        } else {
            proof = path(m - k, begin + k, end);
            proof.push_back(mth(begin, begin + k));
        }
        return proof;
    }

    std::vector<merkle::Hash> subproof(std::size_t m,
                                       std::size_t begin,
                                       std::size_t end,
                                       bool whole) const {
        const std::size_t n = end - begin;
        if (m == n) {
            return whole ? std::vector<merkle::Hash>{} : std::vector{mth(begin, end)};
        }
        const std::size_t k = split(n);
        std::vector<merkle::Hash> proof;
        if (m <= k) {
            proof = subproof(m, begin, begin + k, whole);
            proof.push_back(mth(begin + k, end));
        } else {
            proof = subproof(m - k, begin + k, end, false);
            proof.push_back(mth(begin, begin + k));
        }
        return proof;
    }

    // Every node a plan may ask for, computed by mth.
    merkle::Nodes nodes_for(const std::vector<merkle::Range>& ranges) const {
        merkle::Nodes nodes;
        for (const merkle::NodeId& id : merkle::nodes_of(ranges)) {
            nodes[id] = mth(id.first_leaf(), id.last_leaf() + 1);
        }
        return nodes;
    }

private:
    static std::size_t split(std::size_t n) {
        std::size_t k = 1;
        while (k * 2 < n) {
            k *= 2;
        }
        return k;
    }

    std::vector<std::string> leaves_;
};

// Leaves as webpods has them: 32 bytes each, distinct.
std::vector<std::string> record_leaves(std::size_t count) {
    std::vector<std::string> leaves;
    for (std::size_t i = 0; i < count; ++i) {
        leaves.push_back(merkle::to_bytes(merkle::leaf_hash("record " + std::to_string(i))));
    }
    return leaves;
}

std::vector<std::string> first_leaves(const std::vector<std::string>& leaves, std::size_t count) {
    return {leaves.begin(), leaves.begin() + static_cast<std::ptrdiff_t>(count)};
}

merkle::Hash with_flipped_byte(merkle::Hash hash, std::size_t at) {
    hash[at % merkle::kHashSize] ^= 0x01U;
    return hash;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(merkle_tree)

BOOST_AUTO_TEST_CASE(empty_tree_root_is_sha256_of_nothing) {
    BOOST_TEST(hex_of(merkle::empty_root()) ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(hex_of(merkle::Frontier().root()) == hex_of(merkle::empty_root()));
}

BOOST_AUTO_TEST_CASE(reference_tree_roots_of_every_size) {
    merkle::Frontier frontier;
    for (std::size_t size = 1; size <= kReferenceLeaves.size(); ++size) {
        frontier.append(merkle::leaf_hash(kReferenceLeaves[size - 1]));
        BOOST_TEST(hex_of(frontier.root()) == kReferenceRoots[size - 1], "size " << size);
        const NaiveTree naive(first_leaves(kReferenceLeaves, size));
        const auto plan = merkle::subtrees_of({0, size});
        std::vector<merkle::Hash> roots;
        for (const auto& id : plan) {
            roots.push_back(naive.mth(id.first_leaf(), id.last_leaf() + 1));
        }
        BOOST_TEST(hex_of(merkle::fold(roots)) == kReferenceRoots[size - 1], "size " << size);
    }
}

BOOST_AUTO_TEST_CASE(reference_inclusion_proofs_are_generated_and_verify) {
    const NaiveTree naive(kReferenceLeaves);
    for (const ReferenceProof& vector : kReferenceInclusionProofs) {
        const NaiveTree tree(first_leaves(kReferenceLeaves, vector.size));
        const auto plan = merkle::inclusion_ranges(vector.first, vector.size);
        const auto proof = merkle::range_hashes(plan, tree.nodes_for(plan));
        const auto expected = hashes_of_hex(vector.proof);
        BOOST_TEST(proof == expected, "leaf " << vector.first << " of " << vector.size);
        BOOST_TEST(merkle::verify_inclusion(vector.first,
                                            vector.size,
                                            merkle::leaf_hash(kReferenceLeaves[vector.first]),
                                            expected,
                                            hash_of_hex(kReferenceRoots[vector.size - 1])));
    }
}

BOOST_AUTO_TEST_CASE(reference_consistency_proofs_are_generated_and_verify) {
    for (const ReferenceProof& vector : kReferenceConsistencyProofs) {
        const NaiveTree tree(first_leaves(kReferenceLeaves, vector.size));
        const auto plan = merkle::consistency_ranges(vector.first, vector.size);
        const auto proof = merkle::range_hashes(plan, tree.nodes_for(plan));
        const auto expected = hashes_of_hex(vector.proof);
        BOOST_TEST(proof == expected, vector.first << " to " << vector.size);
        BOOST_TEST(merkle::verify_consistency(vector.first,
                                              vector.size,
                                              hash_of_hex(kReferenceRoots[vector.first - 1]),
                                              hash_of_hex(kReferenceRoots[vector.size - 1]),
                                              expected));
    }
}

BOOST_AUTO_TEST_CASE(roots_and_frontiers_match_the_naive_tree_up_to_64_leaves) {
    const auto leaves = record_leaves(64);
    const NaiveTree naive(leaves);
    merkle::Frontier frontier;
    for (std::uint64_t size = 1; size <= 64; ++size) {
        frontier.append(merkle::leaf_hash(leaves[size - 1]));
        const merkle::Hash expected = naive.mth(0, size);
        BOOST_TEST(hex_of(frontier.root()) == hex_of(expected), "size " << size);
        // The frontier's roots are the complete subtrees of [0, size), largest first.
        const auto ids = merkle::subtrees_of({0, size});
        BOOST_TEST_REQUIRE(ids.size() == frontier.roots().size());
        for (std::size_t k = 0; k < ids.size(); ++k) {
            BOOST_TEST(hex_of(frontier.roots()[k]) ==
                       hex_of(naive.mth(ids[k].first_leaf(), ids[k].last_leaf() + 1)));
        }
        const merkle::Frontier stored(size, frontier.roots());
        BOOST_TEST(hex_of(stored.root()) == hex_of(expected));
    }
}

BOOST_AUTO_TEST_CASE(inclusion_proofs_match_the_naive_tree_for_every_leaf_up_to_64) {
    const auto leaves = record_leaves(64);
    for (std::uint64_t size = 1; size <= 64; ++size) {
        const NaiveTree naive(first_leaves(leaves, size));
        const merkle::Hash root = naive.mth(0, size);
        for (std::uint64_t index = 0; index < size; ++index) {
            const auto plan = merkle::inclusion_ranges(index, size);
            const auto proof = merkle::range_hashes(plan, naive.nodes_for(plan));
            BOOST_TEST_REQUIRE((proof == naive.path(index, 0, size)),
                               "leaf " << index << " of " << size);
            const merkle::Hash leaf = merkle::leaf_hash(leaves[index]);
            BOOST_TEST_REQUIRE(merkle::verify_inclusion(index, size, leaf, proof, root));
            // Proofs are O(log n): at most one node per level, each folded from few subtrees.
            BOOST_TEST(merkle::nodes_of(plan).size() <= 64U);
            if (index + 1 < size) {
                BOOST_TEST(!merkle::verify_inclusion(index + 1, size, leaf, proof, root));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(consistency_proofs_match_the_naive_tree_for_every_pair_up_to_64) {
    const auto leaves = record_leaves(64);
    const NaiveTree all(leaves);
    for (std::uint64_t size = 1; size <= 64; ++size) {
        const NaiveTree naive(first_leaves(leaves, size));
        const merkle::Hash size_root = naive.mth(0, size);
        for (std::uint64_t from = 1; from <= size; ++from) {
            const auto plan = merkle::consistency_ranges(from, size);
            const auto proof = merkle::range_hashes(plan, naive.nodes_for(plan));
            BOOST_TEST_REQUIRE((proof == naive.subproof(from, 0, size, true)),
                               from << " to " << size);
            const merkle::Hash from_root = all.mth(0, from);
            BOOST_TEST_REQUIRE(merkle::verify_consistency(from, size, from_root, size_root, proof));
            if (from < size) {
                // The old root of another size is not consistent with this proof.
                BOOST_TEST(!merkle::verify_consistency(
                    from, size, all.mth(0, from + 1), size_root, proof));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(one_changed_byte_fails_every_inclusion_proof) {
    const auto leaves = record_leaves(21);
    const NaiveTree naive(leaves);
    const std::uint64_t size = leaves.size();
    const merkle::Hash root = naive.mth(0, size);
    for (std::uint64_t index = 0; index < size; ++index) {
        const merkle::Hash leaf = merkle::leaf_hash(leaves[index]);
        const auto proof = naive.path(index, 0, size);
        for (std::size_t at = 0; at < merkle::kHashSize; at += 7) {
            BOOST_TEST(
                !merkle::verify_inclusion(index, size, with_flipped_byte(leaf, at), proof, root));
            BOOST_TEST(
                !merkle::verify_inclusion(index, size, leaf, proof, with_flipped_byte(root, at)));
            for (std::size_t k = 0; k < proof.size(); ++k) {
                auto changed = proof;
                changed[k] = with_flipped_byte(changed[k], at);
                BOOST_TEST(!merkle::verify_inclusion(index, size, leaf, changed, root),
                           "leaf " << index << " element " << k << " byte " << at);
            }
        }
        if (!proof.empty()) {
            auto shorter = proof;
            shorter.pop_back();
            BOOST_TEST(!merkle::verify_inclusion(index, size, leaf, shorter, root));
        }
        auto longer = proof;
        longer.push_back(root);
        BOOST_TEST(!merkle::verify_inclusion(index, size, leaf, longer, root));
    }
}

BOOST_AUTO_TEST_CASE(one_changed_byte_fails_every_consistency_proof) {
    const auto leaves = record_leaves(21);
    const NaiveTree naive(leaves);
    const std::uint64_t size = leaves.size();
    const merkle::Hash size_root = naive.mth(0, size);
    for (std::uint64_t from = 1; from < size; ++from) {
        const merkle::Hash from_root = naive.mth(0, from);
        const auto proof = naive.subproof(from, 0, size, true);
        for (std::size_t at = 0; at < merkle::kHashSize; at += 5) {
            BOOST_TEST(!merkle::verify_consistency(
                from, size, with_flipped_byte(from_root, at), size_root, proof));
            BOOST_TEST(!merkle::verify_consistency(
                from, size, from_root, with_flipped_byte(size_root, at), proof));
            for (std::size_t k = 0; k < proof.size(); ++k) {
                auto changed = proof;
                changed[k] = with_flipped_byte(changed[k], at);
                BOOST_TEST(!merkle::verify_consistency(from, size, from_root, size_root, changed),
                           from << " element " << k << " byte " << at);
            }
        }
        BOOST_TEST(!merkle::verify_consistency(from, size, from_root, size_root, {}));
        auto shorter = proof;
        shorter.pop_back();
        BOOST_TEST(!merkle::verify_consistency(from, size, from_root, size_root, shorter));
    }
    // Equal sizes: equal roots and nothing else.
    BOOST_TEST(merkle::verify_consistency(size, size, size_root, size_root, {}));
    BOOST_TEST(!merkle::verify_consistency(size, size, size_root, size_root, {size_root}));
    BOOST_TEST(
        !merkle::verify_consistency(size, size, size_root, with_flipped_byte(size_root, 0), {}));
    BOOST_TEST(!merkle::verify_consistency(0, size, size_root, size_root, {}));
    BOOST_TEST(!merkle::verify_consistency(size + 1, size, size_root, size_root, {}));
}

BOOST_AUTO_TEST_CASE(each_node_is_stored_with_the_leaf_that_completes_it) {
    // Record i keeps levels 0..t (t = trailing 1-bits of i); node (k, j) lives with record
    // (j + 1) * 2^k - 1: every node of a 64-leaf tree has exactly one home.
    std::map<merkle::NodeId, std::uint64_t> home;
    for (std::uint64_t leaf = 0; leaf < 64; ++leaf) {
        const auto nodes = merkle::nodes_completed_by(leaf);
        std::uint64_t trailing_ones = 0;
        for (std::uint64_t rest = leaf; (rest & 1U) != 0; rest >>= 1U) {
            ++trailing_ones;
        }
        BOOST_TEST(nodes.size() == trailing_ones + 1);
        for (std::size_t k = 0; k < nodes.size(); ++k) {
            BOOST_TEST(nodes[k].level == static_cast<int>(k));
            BOOST_TEST(nodes[k].last_leaf() == leaf);
            BOOST_TEST(home.emplace(nodes[k], leaf).second);
        }
    }
    BOOST_TEST(home.size() == 127U);  // 64 + 32 + ... + 1
}

BOOST_AUTO_TEST_CASE(subtrees_refuse_ranges_no_proof_asks_for) {
    BOOST_CHECK_THROW(merkle::subtrees_of({3, 3}), std::invalid_argument);
    BOOST_CHECK_THROW(merkle::subtrees_of({1, 4}), std::invalid_argument);
    BOOST_CHECK_THROW(merkle::subtrees_of({4, 9}), std::invalid_argument);
    BOOST_TEST(merkle::subtrees_of({8, 13}).size() == 2U);  // 8..11, 12
    BOOST_CHECK_THROW(merkle::inclusion_ranges(3, 3), std::invalid_argument);
    BOOST_CHECK_THROW(merkle::consistency_ranges(0, 3), std::invalid_argument);
    BOOST_CHECK_THROW(merkle::consistency_ranges(4, 3), std::invalid_argument);
    BOOST_CHECK_THROW(merkle::Frontier(3, {merkle::empty_root()}), std::invalid_argument);
    BOOST_CHECK_THROW(merkle::range_hash({0, 2}, {}), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(a_million_leaf_proof_needs_few_nodes) {
    const std::uint64_t size = 1000003;
    for (const std::uint64_t index : {std::uint64_t{0}, std::uint64_t{499999}, size - 1}) {
        BOOST_TEST(merkle::nodes_of(merkle::inclusion_ranges(index, size)).size() <= 40U);
    }
    BOOST_TEST(merkle::nodes_of(merkle::consistency_ranges(777777, size)).size() <= 60U);
}

BOOST_AUTO_TEST_SUITE_END()
