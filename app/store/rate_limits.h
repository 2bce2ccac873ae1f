// The rate_limit table: request counts per identity, action and clock hour.
#pragma once

#include <string>

#include "store/database.h"

namespace webpods::store {

// Requests to count: who, as what action (write, read, pod_create, ...), and how many (this one
// and those a worker admitted from memory since it last counted: handlers::RateLedger).
struct RateCount {
    std::string identity;
    std::string action;
    long long amount = 1;
};

struct WindowCount {
    long long count = 0;      // requests in the current window, these included
    long long resets_at = 0;  // Unix seconds at which the window ends
};

// Counts `count.amount` requests in the current clock-hour window, atomically across every worker
// and host (one upsert, the one of load_request_context in store/streams.cpp).
WindowCount count_request(Tx& tx, const RateCount& count);

// Deletes windows that ended before the current hour.
void purge_old_windows(Tx& tx);

}  // namespace webpods::store
