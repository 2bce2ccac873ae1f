// The rate_limit table: request counts per identity, action and clock hour.
#pragma once

#include <soci/session.h>

#include <string>

namespace webpods::store {

// The upsert that counts one request (:identity, :action) in the current clock-hour window and
// returns (count, resets_at); shared with the statement that also loads a pod context.
#define WEBPODS_COUNT_REQUEST_SQL                                                            \
    "INSERT INTO rate_limit AS r (identity, action, window_start, count) "                   \
    "VALUES (:identity, :action, "                                                           \
    "        date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1) "           \
    "ON CONFLICT (identity, action, window_start) DO UPDATE SET count = r.count + 1 "        \
    "RETURNING count, CAST(extract(epoch FROM window_start + interval '1 hour') AS bigint) " \
    "AS resets_at"

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
