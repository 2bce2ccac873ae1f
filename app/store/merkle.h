// The stored Merkle tree of a stream (SPEC §12): its frontier on the stream row, its complete
// subtrees' roots on the records that completed them (sql/migrations/0005_append.sql).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "merkle/merkle.h"
#include "store/database.h"

namespace webpods::store {

// A stream's tree as its row holds it: the record count and the frontier of that many leaves.
struct TreeHead {
    long long size = 0;
    merkle::Frontier frontier;
};

// The tree head of stream `stream_id`, read from the stream row alone; nullopt when the stream
// is gone. Count and frontier come from the same row version, so they always agree.
std::optional<TreeHead> read_tree_head(Tx& tx, long long stream_id);

// What one proof needs from storage.
struct TreeNodes {
    merkle::Nodes nodes;                   // the nodes asked for that exist
    std::optional<std::string> leaf_data;  // the 32 raw bytes of the leaf record's hash
};

// The stored hashes of `nodes` of stream `stream_id` and, when `leaf` is given, that record's
// leaf data (SPEC §12), in one statement: on a replica first when reads go to replicas, then
// on the primary for whatever the replica lacked (SPEC §14). Reads O(nodes) index entries, never
// the stream. Nodes of records that do not exist are left out.
TreeNodes read_tree_nodes(Tx& tx,
                          long long stream_id,
                          const std::vector<merkle::NodeId>& nodes,
                          std::optional<long long> leaf);

}  // namespace webpods::store
