// The rate_limit table: request counts per identity, action and clock hour.
#pragma once

#include <string>

#include "store/database.h"

namespace webpods::store {

// A request to count: who, and as what action (write, read, pod_create, ...).
struct RateCount {
    std::string identity;
    std::string action;
};

struct WindowCount {
    long long count = 0;      // requests in the current window, this one included
    long long resets_at = 0;  // Unix seconds at which the window ends
};

// Counts one request in the current clock-hour window, atomically across every worker and host
// (one upsert, the one of load_request_context in store/streams.cpp).
WindowCount count_request(Tx& tx, const RateCount& count);

// Deletes windows that ended before the current hour.
void purge_old_windows(Tx& tx);

}  // namespace webpods::store
