// What every handler receives: the request, the worker's shared state, its database access and
// what the request pipeline established for it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/principal.h"
#include "checkpoint/checkpoint.h"
#include "config/config.h"
#include "handlers/rate_ledger.h"
#include "http/request.h"
#include "permissions/permissions.h"
#include "store/database.h"
#include "store/streams.h"

namespace webpods::handlers {

// A pod's routing table: request path -> target ("stream?query", "stream/alias" or "stream").
using LinkTable = std::map<std::string, std::string, std::less<>>;

// Per-worker memory of derived data, keyed by the stream id and valid for exactly one record
// count. Streams are append-only and a deleted stream's id is never reused, so a cached entry
// whose count equals the head read for this request is current: a grant, a revocation or a new
// link table is seen by the very next request on every worker. See doc/permissions.md.
class WorkerCache {
public:
    // The allow list of `pod` (whose allow_list head is set) folded up to its record count for
    // the pod's current owner; fetch_records(first, end) reads the records the cache lacks.
    template <typename FetchRecords>
    std::shared_ptr<const permissions::AllowList> allow_list(const store::PodContext& pod,
                                                             FetchRecords fetch_records);
    // The link table from the latest record of .meta/links.
    template <typename FetchLatest>
    std::shared_ptr<const LinkTable> links(const store::StreamHead& head, FetchLatest fetch_latest);

    auth::KnownUsers& known_users() { return known_users_; }
    RateLedger& rate_ledger() { return rate_ledger_; }

    // True for the first caller after a rate-limit window ends (once per worker per window),
    // which then deletes the ended windows.
    bool is_purge_due(long long current_window_end) {
        long long seen = purged_window_end_.load();
        return seen < current_window_end &&
               purged_window_end_.compare_exchange_strong(seen, current_window_end);
    }

private:
    template <typename Value>
    struct Entry {
        long long record_count = 0;
        std::shared_ptr<const Value> value;
    };
    static constexpr std::size_t kMaxEntries = 10000;

    std::mutex mutex_;
    std::unordered_map<long long, Entry<permissions::AllowList>> allow_lists_;
    std::unordered_map<long long, Entry<LinkTable>> links_;
    auth::KnownUsers known_users_;
    RateLedger rate_ledger_;
    std::atomic<long long> purged_window_end_{0};
};

struct Worker {
    const config::Config& config;
    store::Database& database;
    WorkerCache& cache;
    const checkpoint::Signer* signer = nullptr;  // null: no checkpoint.keyFile configured
};

// The rate-limit actions of SPEC §5 and the login steps' of §10.
enum class RateAction { kWrite, kRead, kPodCreate, kStreamCreate, kLogin };

// What the route's path named: the pod (pod hosts), the stream (pod paths), and the one
// variable segment of a main-domain path (a provider or a session id).
struct RouteParams {
    std::string pod;
    std::string stream_id;
    std::string name;
};

// What a handler receives: the request, the worker's shared state, the use case's database
// access, and what the pipeline established before it (routing/pipeline.h): the caller and,
// on pod routes, the pod context of the route's stream. A handler reads these; it never re-runs
// a pipeline step and passes nothing back through them.
struct RequestContext {
    const Worker& worker;
    const http::Request& request;
    store::Tx* database = nullptr;  // null only on routes that take no lease (/health)
    http::QueryParams query;
    RouteParams route;
    std::optional<auth::Principal> principal;
    std::optional<store::PodContext> pod;  // nullopt: no such pod (or the route loads none)

    store::Tx& tx() const;
};

template <typename FetchRecords>
std::shared_ptr<const permissions::AllowList> WorkerCache::allow_list(const store::PodContext& pod,
                                                                      FetchRecords fetch_records) {
    const store::StreamHead& head = *pod.allow_list;
    Entry<permissions::AllowList> cached;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        const auto found = allow_lists_.find(head.id);
        if (found != allow_lists_.end()) {
            cached = found->second;
        }
    }
    // A transfer changes whose grants count, so a list folded for another owner is folded anew.
    if (cached.value && cached.value->owner_auth_id() != pod.owner_auth_id) {
        cached = {};
    }
    if (cached.value && cached.record_count == head.record_count) {
        return cached.value;
    }
    // Only the records appended since the cached count are read and folded in.
    const bool extends = cached.value && cached.record_count < head.record_count;
    auto updated = extends ? std::make_shared<permissions::AllowList>(*cached.value)
                           : std::make_shared<permissions::AllowList>(
                                 pod.allow_list_creator_auth_id, pod.owner_auth_id);
    const long long first = extends ? cached.record_count : 0;
    for (const auto& record : fetch_records(first, head.record_count)) {
        updated->apply(record.content, record.author);
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (allow_lists_.size() >= kMaxEntries) {
        allow_lists_.clear();
    }
    allow_lists_[head.id] = Entry<permissions::AllowList>{head.record_count, updated};
    return updated;
}

template <typename FetchLatest>
std::shared_ptr<const LinkTable> WorkerCache::links(const store::StreamHead& head,
                                                    FetchLatest fetch_latest) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        const auto found = links_.find(head.id);
        if (found != links_.end() && found->second.record_count == head.record_count) {
            return found->second.value;
        }
    }
    auto table = std::make_shared<const LinkTable>(fetch_latest());
    const std::lock_guard<std::mutex> lock(mutex_);
    if (links_.size() >= kMaxEntries) {
        links_.clear();
    }
    links_[head.id] = Entry<LinkTable>{head.record_count, table};
    return table;
}

}  // namespace webpods::handlers
