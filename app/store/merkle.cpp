// Stored Merkle tree: reading a stream's frontier and a batch of its nodes.
#include "store/merkle.h"

#include <algorithm>
#include <initializer_list>

#include "errors/errors.h"
#include "store/prepared.h"
#include "store/replicas.h"

namespace webpods::store {

namespace {

// The count and the frontier in array order (largest subtree first), one row per frontier hash
// from the same row version; one row with a NULL hash when the frontier is empty.
constexpr Prepared kTreeHead{
    "tree_head",
    "SELECT s.record_count, f.hash, f.position "
    "FROM stream s "
    "LEFT JOIN LATERAL unnest(s.merkle_frontier) WITH ORDINALITY AS f(hash, position) ON true "
    "WHERE s.id = $1 ORDER BY f.position"};

// Node (level k, index j) is element k + 1 of the merkle_nodes of record (j + 1) * 2^k - 1, the
// record whose append completed it; each lookup is one probe of UNIQUE (stream_id, index). The
// leaf data of record $4 (the raw bytes of its hash) rides along as level -1.
constexpr Prepared kTreeNodes{
    "tree_nodes",
    "SELECT n.level, n.position, r.merkle_nodes[n.level + 1] AS hash "
    "FROM unnest(CAST($2 AS int[]), CAST($3 AS bigint[])) AS n(level, position) "
    "JOIN record r ON r.stream_id = $1 AND r.index = ((n.position + 1) << n.level) - 1 "
    "WHERE r.merkle_nodes[n.level + 1] IS NOT NULL "
    "UNION ALL "
    "SELECT -1, index, decode(substr(hash, 8), 'hex') FROM record "
    "WHERE stream_id = $1 AND index = $4"};

merkle::Hash hash_of(std::string_view bytes) {
    const auto hash = merkle::from_bytes(bytes);
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

// Adds row `row` of a kTreeNodes result to found.
void add_node(TreeNodes& found, const Rows& rows, int row) {
    const int hash_column = rows.column("hash");
    const long long level = rows.integer(row, rows.column("level"));
    if (level < 0) {
        found.leaf_data = std::string(rows.bytes(row, hash_column));
        return;
    }
    const merkle::NodeId id{static_cast<int>(level),
                            static_cast<std::uint64_t>(rows.integer(row, rows.column("position")))};
    found.nodes[id] = hash_of(rows.bytes(row, hash_column));
}

// Runs kTreeNodes for `nodes` (and the leaf, when >= 0) on `run`, adding what it answers to found.
template <typename Run>
void read_nodes_with(Run&& run,
                     long long stream_id,
                     const std::vector<merkle::NodeId>& nodes,
                     long long leaf,
                     TreeNodes& found) {
    std::vector<int> levels;
    std::vector<std::uint64_t> positions;
    for (const merkle::NodeId& node : nodes) {
        levels.push_back(node.level);
        positions.push_back(node.index);
    }
    const std::string levels_text = array_literal(levels);
    const std::string positions_text = array_literal(positions);
    run({stream_id, levels_text, positions_text, leaf}, found);
}

}  // namespace

std::optional<TreeHead> read_tree_head(Tx& tx, long long stream_id) {
    const Rows rows = execute(tx, kTreeHead, {stream_id});
    if (rows.count() == 0) {
        return std::nullopt;
    }
    const int hash_column = rows.column("hash");
    const long long size = rows.integer(0, rows.column("record_count"));
    std::vector<merkle::Hash> roots;
    for (int row = 0; row < rows.count(); ++row) {
        if (!rows.is_null(row, hash_column)) {
            roots.push_back(hash_of(rows.bytes(row, hash_column)));
        }
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
    TreeNodes found;
    long long leaf_index = leaf.value_or(-1);  // no record has index -1
    std::vector<merkle::NodeId> wanted = nodes;
    // A node is written once, by the append that completes it, and never changes; the stream id
    // is never reused. So a replica's node is the primary's, and what a lagging replica lacks
    // (the newest nodes, the newest leaf) is asked of the primary, for the size the primary
    // decided (SPEC §14).
    if (reads_from_replicas(tx)) {
        read_nodes_with(
            [&tx](std::initializer_list<Param> params, TreeNodes& into) {
                tx.replicas().each(kTreeNodes, params, [&into](const Rows& rows) {
                    add_node(into, rows, 0);
                    return true;
                });
            },
            stream_id,
            wanted,
            leaf_index,
            found);
        wanted.erase(std::remove_if(wanted.begin(),
                                    wanted.end(),
                                    [&found](const merkle::NodeId& node) {
                                        return found.nodes.count(node) != 0;
                                    }),
                     wanted.end());
        if (found.leaf_data) {
            leaf_index = -1;
        }
        if (wanted.empty() && leaf_index < 0) {
            return found;
        }
    }
    read_nodes_with(
        [&tx](std::initializer_list<Param> params, TreeNodes& into) {
            const Rows rows = execute(tx, kTreeNodes, params);
            for (int row = 0; row < rows.count(); ++row) {
                add_node(into, rows, row);
            }
        },
        stream_id,
        wanted,
        leaf_index,
        found);
    return found;
}

}  // namespace webpods::store
