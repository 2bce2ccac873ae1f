// Stored Merkle tree: reading a stream's frontier and a batch of its nodes.
#include "store/merkle.h"

#include <soci/soci.h>

#include "encoding/encoding.h"
#include "errors/errors.h"

namespace webpods::store {

namespace {

// The frontier as comma-separated hex, in array order (largest subtree first).
constexpr const char* kTreeHead =
    "SELECT record_count, "
    "       coalesce((SELECT string_agg(encode(f.hash, 'hex'), ',' ORDER BY f.position) "
    "                 FROM unnest(merkle_frontier) WITH ORDINALITY AS f(hash, position)), '') "
    "FROM stream WHERE id = :stream_id";

// Node (level k, index j) is element k + 1 of the merkle_nodes of record (j + 1) * 2^k - 1, the
// record whose append completed it; each lookup is one probe of UNIQUE (stream_id, index). The
// leaf's record hash rides along as level -1. One row of "level:index:value" entries joined by
// ',' (none of them holds a comma): a single-row statement is one round trip, where a rowset is
// three (prepare, execute, deallocate).
constexpr const char* kTreeNodes =
    "SELECT coalesce(string_agg(found.level || ':' || found.position || ':' || found.value, ','), "
    "                '') "
    "FROM ("
    "  SELECT n.level, n.position, encode(r.merkle_nodes[n.level + 1], 'hex') AS value "
    "  FROM unnest(CAST(:levels AS int[]), CAST(:positions AS bigint[])) AS n(level, position) "
    "  JOIN record r ON r.stream_id = :stream_id "
    "               AND r.index = ((n.position + 1) << n.level) - 1 "
    "  WHERE r.merkle_nodes[n.level + 1] IS NOT NULL "
    "  UNION ALL "
    "  SELECT -1, index, hash FROM record WHERE stream_id = :stream_id AND index = :leaf"
    ") found";

merkle::Hash hash_of_hex(const std::string& hex) {
    const auto bytes = encoding::hex_decode(hex);
    const auto hash = bytes ? merkle::from_bytes(*bytes) : std::nullopt;
    if (!hash) {
        throw errors::internal_error("stored tree hash is not 32 bytes");
    }
    return *hash;
}

// A PostgreSQL array literal of integers: {1,2,3}.
template <typename Integers>
std::string array_literal(const Integers& values) {
    std::string text = "{";
    for (const auto value : values) {
        if (text.size() > 1) {
            text += ',';
        }
        text += std::to_string(value);
    }
    return text + "}";
}

}  // namespace

std::optional<TreeHead> read_tree_head(Tx& tx, long long stream_id) {
    long long size = 0;
    std::string frontier_hex;
    tx.sql() << kTreeHead, soci::use(stream_id, "stream_id"), soci::into(size),
        soci::into(frontier_hex);
    if (!tx.sql().got_data()) {
        return std::nullopt;
    }
    std::vector<merkle::Hash> roots;
    for (std::size_t start = 0; start < frontier_hex.size();) {
        const std::size_t comma = std::min(frontier_hex.find(',', start), frontier_hex.size());
        roots.push_back(hash_of_hex(frontier_hex.substr(start, comma - start)));
        start = comma + 1;
    }
    try {
        return TreeHead{size, merkle::Frontier(static_cast<std::uint64_t>(size), std::move(roots))};
    } catch (const std::invalid_argument& error) {
        throw errors::internal_error(std::string("stream ") + std::to_string(stream_id) + ": " +
                                     error.what());
    }
}

TreeNodes read_tree_nodes(Tx& tx,
                          long long stream_id,
                          const std::vector<merkle::NodeId>& nodes,
                          std::optional<long long> leaf) {
    std::vector<int> levels;
    std::vector<std::uint64_t> positions;
    for (const merkle::NodeId& node : nodes) {
        levels.push_back(node.level);
        positions.push_back(node.index);
    }
    const std::string levels_text = array_literal(levels);
    const std::string positions_text = array_literal(positions);
    const long long leaf_index = leaf.value_or(-1);  // no record has index -1
    std::string entries;
    tx.sql() << kTreeNodes, soci::use(levels_text, "levels"),
        soci::use(positions_text, "positions"), soci::use(stream_id, "stream_id"),
        soci::use(leaf_index, "leaf"), soci::into(entries);
    TreeNodes found;
    for (std::size_t start = 0; start < entries.size();) {
        const std::size_t end = std::min(entries.find(',', start), entries.size());
        const std::string_view entry = std::string_view(entries).substr(start, end - start);
        const std::size_t first = entry.find(':');
        const std::size_t second = entry.find(':', first + 1);
        if (second == std::string_view::npos) {
            throw errors::internal_error("tree node entry is not level:index:value");
        }
        const std::string_view value = entry.substr(second + 1);
        if (entry.substr(0, first) == "-1") {
            found.leaf_hash = std::string(value);
        } else {
            const merkle::NodeId id{
                std::stoi(std::string(entry.substr(0, first))),
                std::stoull(std::string(entry.substr(first + 1, second - first - 1)))};
            found.nodes[id] = hash_of_hex(std::string(value));
        }
        start = end + 1;
    }
    return found;
}

}  // namespace webpods::store
