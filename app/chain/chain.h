// The hash chain of a stream: canonical record bytes, SHA-256 links and verification. No I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webpods::chain {

// Everything the hash of one record covers (SPEC §6). Views must outlive the call.
struct RecordFields {
    std::int64_t index = 0;
    std::string_view previous_hash;  // empty for index 0
    std::string_view timestamp;      // ISO-8601 UTC with milliseconds
    std::string_view content_type;
    std::string_view alias;    // empty when the record has none
    std::string_view author;   // auth_id of the writer
    std::string_view content;  // the stored bytes
};

// Lowercase hex SHA-256 of any bytes.
std::string sha256_hex(std::string_view bytes);

// The exact bytes hashed for a record: the eight lines of SPEC §6 joined by '\n'.
std::string canonical_preimage(const RecordFields& record);

// "sha256:" + hex(SHA-256(canonical_preimage(record))).
std::string record_hash(const RecordFields& record);

// A timestamp in the hashed format, e.g. 2026-01-02T03:04:05.678Z (milliseconds truncated).
std::string format_timestamp(std::chrono::system_clock::time_point when);

// A record as read back from storage, for verification.
struct StoredRecord {
    RecordFields fields;
    std::string_view hash;
};

// The first record whose stored hash, index or link disagrees with what it should be.
struct ChainBreak {
    std::int64_t index = 0;
    std::string reason;
};

// Checks records one at a time, in index order from 0, holding nothing of them but the last
// hash: a stream of any size is verified in the memory of one record.
class ChainWalk {
public:
    // The break this record makes (a wrong index, link or hash), or nullopt and the walk moves
    // on past it.
    std::optional<ChainBreak> next(const StoredRecord& record);
    std::int64_t count() const { return expected_index_; }
    const std::string& last_hash() const { return previous_hash_; }

private:
    std::int64_t expected_index_ = 0;
    std::string previous_hash_;  // empty before index 0
};

// Checks that records (in index order, starting at 0) form an unbroken chain.
std::optional<ChainBreak> find_first_break(const std::vector<StoredRecord>& records);

}  // namespace webpods::chain
