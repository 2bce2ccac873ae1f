// rate_limit repository.
#include "store/rate_limits.h"

#include <soci/soci.h>

#include "store/streams.h"

namespace webpods::store {

namespace {

constexpr const char* kPurgeOldWindows =
    "DELETE FROM rate_limit "
    "WHERE window_start < date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";

}  // namespace

WindowCount count_request(Tx& tx, const RateCount& count) {
    // The request statement counts; with no pod named, it loads nothing else.
    return *load_request_context(tx, {{}, {}, std::nullopt, count}).window;
}

void purge_old_windows(Tx& tx) { tx.sql() << kPurgeOldWindows; }

}  // namespace webpods::store
