// Schema migrations: numbered files of sql/migrations/ applied in order, once each.
#pragma once

#include <string>
#include <vector>

#include "store/database.h"

namespace webpods::store {

// Applies every NNNN_*.sql file of `directory` not yet recorded in schema_migration, each in
// its own transaction, in name order. Returns the names applied now (empty when up to date).
// Concurrent runs serialise on an advisory lock.
std::vector<std::string> apply_migrations(Tx& tx, const std::string& directory);

}  // namespace webpods::store
