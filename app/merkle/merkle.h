// The Merkle tree of RFC 9162 §2.1 (RFC 6962): hashes, roots, inclusion and consistency proofs
// planned as complete subtrees (so a store fetches them in one batch) and verified. No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webpods::merkle {

constexpr std::size_t kHashSize = 32;
using Hash = std::array<unsigned char, kHashSize>;

// SHA-256(0x00 || leaf_data).
Hash leaf_hash(std::string_view leaf_data);
// SHA-256(0x01 || left || right).
Hash node_hash(const Hash& left, const Hash& right);
// SHA-256 of nothing: the root of the empty tree.
Hash empty_root();

// The bytes of a hash as a string, and back (nullopt unless exactly kHashSize bytes).
std::string to_bytes(const Hash& hash);
std::optional<Hash> from_bytes(std::string_view bytes);

// The complete subtree at `level` whose leaves are [index * 2^level, (index + 1) * 2^level).
struct NodeId {
    int level = 0;
    std::uint64_t index = 0;

    std::uint64_t first_leaf() const { return index << static_cast<unsigned>(level); }
    // The leaf whose append completed the subtree: the record that stores this node.
    std::uint64_t last_leaf() const { return ((index + 1) << static_cast<unsigned>(level)) - 1; }

    friend bool operator<(const NodeId& a, const NodeId& b) {
        return a.level != b.level ? a.level < b.level : a.index < b.index;
    }
    friend bool operator==(const NodeId& a, const NodeId& b) {
        return a.level == b.level && a.index == b.index;
    }
};

// Leaves [begin, end).
struct Range {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;

    friend bool operator==(const Range& a, const Range& b) {
        return a.begin == b.begin && a.end == b.end;
    }
};

// The nodes that leaf `leaf` completes, levels 0 up to its number of trailing 1-bits: what a
// store keeps for that leaf.
std::vector<NodeId> nodes_completed_by(std::uint64_t leaf);

// The complete subtrees that make up `range`, left to right, largest first. Defined for a range
// whose begin is 0 or a multiple of a power of two at least its length, as is every range RFC
// 9162 proofs ask MTH of; its MTH is then the right fold of their roots. Throws
// std::invalid_argument for an empty range or another one.
std::vector<NodeId> subtrees_of(Range range);

// Right fold of subtree roots, left to right: fold({a}) = a, fold({a, b, c}) = H(a, H(b, c)).
// Throws std::invalid_argument when roots is empty.
Hash fold(const std::vector<Hash>& roots);

// The ranges whose MTH make up the inclusion proof of leaf `index` in the tree of `size` leaves
// (RFC 9162 §2.1.3.1), in proof order (from the leaf up). Throws std::invalid_argument unless
// index < size.
std::vector<Range> inclusion_ranges(std::uint64_t index, std::uint64_t size);

// The ranges whose MTH make up the consistency proof from size `from` to size `size` (RFC 9162
// §2.1.4.1), in proof order. Empty when from == size. Throws std::invalid_argument unless
// 1 <= from <= size.
std::vector<Range> consistency_ranges(std::uint64_t from, std::uint64_t size);

// Every node the hashes of `ranges` are folded from, each once, in NodeId order.
std::vector<NodeId> nodes_of(const std::vector<Range>& ranges);

// Stored node hashes, as fetched for nodes_of(...).
using Nodes = std::map<NodeId, Hash>;

// MTH of `range` from its subtrees' roots. Throws std::out_of_range when one is missing.
Hash range_hash(Range range, const Nodes& nodes);

// range_hash of each range, in order: a proof from its plan.
std::vector<Hash> range_hashes(const std::vector<Range>& ranges, const Nodes& nodes);

// RFC 9162 §2.1.3.2: whether `proof` shows the leaf with hash `leaf` at `index` in the tree of
// `size` leaves whose root is `root`.
bool verify_inclusion(std::uint64_t index,
                      std::uint64_t size,
                      const Hash& leaf,
                      const std::vector<Hash>& proof,
                      const Hash& root);

// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `from` leaves with root `from_root` to be
// a prefix of the tree of `size` leaves with root `size_root`. from == size needs an empty proof
// and equal roots; from == 0 or from > size never verifies.
bool verify_consistency(std::uint64_t from,
                        std::uint64_t size,
                        const Hash& from_root,
                        const Hash& size_root,
                        const std::vector<Hash>& proof);

// The roots of the complete subtrees of a tree's leaves [0, size), largest first: all an
// appender needs to know to extend the tree and compute its root.
class Frontier {
public:
    Frontier() = default;
    // A frontier as stored; throws std::invalid_argument unless roots has one entry per 1-bit
    // of size.
    Frontier(std::uint64_t size, std::vector<Hash> roots);

    // Adds a leaf by its leaf hash.
    void append(const Hash& leaf);
    std::uint64_t size() const { return size_; }
    const std::vector<Hash>& roots() const { return roots_; }
    // fold(roots), or empty_root() for the empty tree.
    Hash root() const;

private:
    std::uint64_t size_ = 0;
    std::vector<Hash> roots_;
};

}  // namespace webpods::merkle
