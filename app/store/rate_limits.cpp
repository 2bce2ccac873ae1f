// rate_limit repository.
#include "store/rate_limits.h"

#include <soci/soci.h>

#include "store/database.h"

namespace webpods::store {

namespace {

// The window is the clock hour in UTC; the upsert makes concurrent counts exact.
constexpr const char* kCountRequest = WEBPODS_COUNT_REQUEST_SQL;

constexpr const char* kPurgeOldWindows =
    "DELETE FROM rate_limit "
    "WHERE window_start < date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";

}  // namespace

WindowCount count_request(soci::session& sql,
                          const std::string& identity,
                          const std::string& action) {
    WindowCount window;
    run(sql, [&] {
        sql << kCountRequest, soci::use(identity, "identity"), soci::use(action, "action"),
            soci::into(window.count), soci::into(window.resets_at);
    });
    return window;
}

void purge_old_windows(soci::session& sql) {
    run(sql, [&] { sql << kPurgeOldWindows; });
}

}  // namespace webpods::store
