// Rows to structs, by column name, in one place. Store-internal: the names are those of the
// views of sql/migrations/0003_row_views.sql, optionally behind a prefix when one statement
// reads several streams ("s_", "a_").
#pragma once

#include <soci/row.h>

#include <optional>
#include <string>
#include <string_view>

#include "store/prepared.h"
#include "store/types.h"

namespace webpods::store {

// The stream_row columns of `row`, each named prefix + column; nullopt when the id is NULL (an
// outer join found no stream).
std::optional<Stream> stream_from(const soci::row& row, std::string_view prefix = {});

// Only the head columns (id, record_count, last_hash) of a stream_row behind `prefix`.
std::optional<StreamHead> head_from(const soci::row& row, std::string_view prefix);

User user_from(const soci::row& row);

// The record_row columns of row `row` of a prepared statement's binary result, each named
// prefix + column.
Record record_from(const Rows& rows, int row, std::string_view prefix = {});
// The same in place: the view points into `rows`.
RecordView record_view_from(const Rows& rows, int row, std::string_view prefix = {});
std::optional<Stream> stream_from(const Rows& rows, int row, std::string_view prefix = {});
std::optional<StreamHead> head_from(const Rows& rows, int row, std::string_view prefix);

}  // namespace webpods::store
