// One record as stored: the row type shared by the record and stream repositories.
#pragma once

#include <soci/row.h>

#include <cstddef>
#include <optional>
#include <string>

namespace webpods::store {

struct Record {
    long long index = 0;
    std::string content;  // raw bytes
    std::string content_type;
    std::optional<std::string> alias;
    std::string author;  // auth_id
    std::string hash;
    std::string previous_hash;  // empty for index 0
    std::string timestamp;      // ISO-8601 UTC, milliseconds
};

// The columns a Record is read from, for table alias `r`, in the order record_from_row expects.
#define WEBPODS_RECORD_COLUMNS                                                       \
    "r.index, encode(r.content, 'hex'), r.content_type, r.alias, r.author, r.hash, " \
    "coalesce(r.previous_hash, ''), "                                                \
    "to_char(r.written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "

// The Record in `row` from column `first` on (WEBPODS_RECORD_COLUMNS order). Store-internal.
Record record_from_row(const soci::row& row, std::size_t first);

}  // namespace webpods::store
