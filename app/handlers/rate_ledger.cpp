// Batched rate-limit counts.
#include "handlers/rate_ledger.h"

#include <algorithm>

namespace webpods::handlers {

RateLedger::Ticket RateLedger::take(const std::string& key,
                                    long long limit,
                                    long long window_end,
                                    Clock::time_point now) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= kMaxEntries && entries_.count(key) == 0) {
        entries_.clear();  // what was pending is lost: an undercount, never a wrong refusal
    }
    Entry& entry = entries_[key];
    if (entry.window_end != window_end) {
        entry = Entry{window_end};
    }
    const long long count = entry.known + entry.pending + 1;
    if (count > limit) {
        return {0, count};  // the shared count is at least known + pending already
    }
    const bool near_limit = limit - count < margin(limit);
    const bool due = !entry.written || now - entry.last_write >= kSyncInterval;
    if (near_limit || due) {
        const long long amount = entry.pending + 1;
        entry.pending = 0;
        entry.known += amount;  // once written, the shared count is at least this
        entry.last_write = now;
        entry.written = true;
        return {amount, count};
    }
    ++entry.pending;
    return {0, count};
}

void RateLedger::settle(const std::string& key, long long window_end, long long shared_count) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end() && found->second.window_end == window_end) {
        found->second.known = std::max(found->second.known, shared_count);
    }
}

}  // namespace webpods::handlers
