// A worker process's ledger of rate-limit counts (SPEC §5): requests far from their limit are
// admitted from memory and written to PostgreSQL in batches, at most every kSyncInterval per
// identity and action, so that readers do not serialise on one counter row; near the limit
// every request is counted in PostgreSQL before it is admitted, as one shared count across every
// worker and host. The tolerance this buys is in doc/rate-limits.md.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace webpods::handlers {

class RateLedger {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration kSyncInterval = std::chrono::milliseconds(100);
    static constexpr long long kMinimumMargin = 100;

    // What to do with one request of `key` (identity and action) under `limit`, in the window
    // that ends at `window_end` (Unix seconds).
    struct Ticket {
        // How many requests to add to the shared count now (this one and those admitted from
        // memory since the last write); 0: none, `count` decides.
        long long amount = 0;
        long long count = 0;  // with amount 0: this worker's view of the count, this request in
    };

    // The decision for one request. Requests over the limit in this worker's view are refused
    // without a write (count > limit): the shared count only grows within a window.
    Ticket take(const std::string& key,
                long long limit,
                long long window_end,
                Clock::time_point now);

    // The shared count PostgreSQL answered for a ticket with an amount.
    void settle(const std::string& key, long long window_end, long long shared_count);

    // Requests remaining before the limit in which every request is counted in PostgreSQL.
    static long long margin(long long limit) { return std::max(limit / 10, kMinimumMargin); }

private:
    struct Entry {
        long long window_end = 0;
        long long known = 0;    // the shared count PostgreSQL last answered
        long long pending = 0;  // admitted here since, not yet written
        Clock::time_point last_write{};
        bool written = false;
    };
    static constexpr std::size_t kMaxEntries = 100000;

    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace webpods::handlers
