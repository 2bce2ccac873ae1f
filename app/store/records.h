// The record table: appending to a stream's hash chain and reading records back.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/types.h"

namespace webpods::store {

struct NewRecord {
    std::string_view content;
    std::string_view content_type;
    std::string_view alias;  // empty: none
    std::string_view author;
    // SPEC §11, each nullopt when absent: the entity-tag values of If-Match / If-None-Match
    // (http::parse_entity_tags: comma-separated, no quotes, "*" for any) and the
    // Idempotency-Key.
    std::optional<std::string> if_match{};
    std::optional<std::string> if_none_match{};
    std::optional<std::string> idempotency_key{};
};

enum class AppendOutcome {
    kAppended,            // record: the new record
    kReplayed,            // record: the one this Idempotency-Key wrote, for the same request
    kKeyReused,           // record: the one this Idempotency-Key wrote, for another request
    kPreconditionFailed,  // record.index / record.hash: the head (-1 / "" when empty)
};

struct AppendResult {
    AppendOutcome outcome = AppendOutcome::kAppended;
    Record record;
};

// Appends to stream `stream_id` in one statement that decides (idempotency key, conditions) and
// hashes against the true head, so it cannot lose a race and needs no transaction of its own
// (see records.cpp). Runs inside the caller's Atomic when one is open. Nothing is written unless
// the outcome is kAppended. Throws Error(ALIAS_EXISTS) for a duplicate alias and
// Error(STREAM_NOT_FOUND) when the stream is gone.
AppendResult append_record(Tx& tx, long long stream_id, const NewRecord& fields);

std::optional<Record> find_record_by_index(Tx& tx, long long stream_id, long long index);
std::optional<Record> find_record_by_alias(Tx& tx, long long stream_id, const std::string& alias);

// Records with first <= index < end, in index order, all held at once: for callers that need
// the whole set (an allow-list fold, verifying a chain). Answers use for_each_record.
std::vector<Record> list_records(Tx& tx, long long stream_id, long long first, long long end);

// Hands the records with first <= index < end to visit one at a time, in index order, until
// visit returns false; a record is dropped before the next is read, and is seen in place (the
// view points into the driver's row, valid during the visit only: to_record keeps one). Only the
// records whose content, with that of those before them in the range, fits in max_content_bytes are
// fetched (the first one always), so what the database sends for one call stays within
// max_content_bytes or one record (an answer never shows content in fewer bytes than it has).
void for_each_record(Tx& tx,
                     long long stream_id,
                     long long first,
                     long long end,
                     long long max_content_bytes,
                     const std::function<bool(const RecordView&)>& visit);

}  // namespace webpods::store
