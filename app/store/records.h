// The record table: appending to a stream's hash chain and reading records back.
#pragma once

#include <soci/session.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/record.h"
#include "store/streams.h"

namespace webpods::store {

struct NewRecord {
    std::string_view content;
    std::string_view content_type;
    std::string_view alias;  // empty: none
    std::string_view author;
};

// Appends to the stream whose head was last seen as `head`, hashing against the true head.
// Linearizable across processes: see the comment in records.cpp.
// Throws Error(Conflict, ALIAS_EXISTS) for a duplicate alias, Error(NotFound) if the stream
// vanished.
Record append_record(soci::session& sql, const StreamHead& head, const NewRecord& fields);

std::optional<Record> find_record_by_index(soci::session& sql,
                                           long long stream_id,
                                           long long index);
std::optional<Record> find_record_by_alias(soci::session& sql,
                                           long long stream_id,
                                           const std::string& alias);

// Records with first <= index < end, in index order.
std::vector<Record> list_records(soci::session& sql,
                                 long long stream_id,
                                 long long first,
                                 long long end);

}  // namespace webpods::store
