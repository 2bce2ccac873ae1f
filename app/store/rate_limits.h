// The rate_limit table: request counts per identity, action and clock hour.
#pragma once

#include <soci/session.h>

#include <string>

namespace webpods::store {

struct WindowCount {
    long long count = 0;      // requests in the current window, this one included
    long long resets_at = 0;  // Unix seconds at which the window ends
};

// Counts one request of `action` by `identity` in the current clock-hour window, atomically
// across every worker and host (one upsert).
WindowCount count_request(soci::session& sql,
                          const std::string& identity,
                          const std::string& action);

// Deletes windows that ended before the current hour.
void purge_old_windows(soci::session& sql);

}  // namespace webpods::store
