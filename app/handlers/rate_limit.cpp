// Rate limiting over the rate_limit table.
#include "handlers/rate_limit.h"

#include <algorithm>
#include <ctime>

#include "http/error.h"
#include "store/rate_limits.h"
#include "store/streams.h"

namespace webpods::handlers {

namespace {

const char* action_name(RateAction action) {
    switch (action) {
        case RateAction::kWrite:
            return "write";
        case RateAction::kRead:
            return "read";
        case RateAction::kPodCreate:
            return "pod_create";
        case RateAction::kStreamCreate:
            return "stream_create";
    }
    return "write";
}

long long limit_of(const config::RateLimits& limits, RateAction action) {
    switch (action) {
        case RateAction::kWrite:
            return limits.writes;
        case RateAction::kRead:
            return limits.reads;
        case RateAction::kPodCreate:
            return limits.pod_create;
        case RateAction::kStreamCreate:
            return limits.stream_create;
    }
    return limits.writes;
}

}  // namespace

http::Error limit_exceeded(const RateLimitStatus& status) {
    const long long retry_after =
        std::max(1LL, status.resets_at - static_cast<long long>(std::time(nullptr)));
    http::Error error(http::ErrorKind::kRateLimited, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded");
    error.with_header("Retry-After", std::to_string(retry_after));
    for (const auto& [name, value] : rate_limit_headers(status)) {
        error.with_header(name, value);
    }
    return error;
}

std::vector<std::pair<std::string, std::string>> rate_limit_headers(const RateLimitStatus& status) {
    return {{"X-RateLimit-Limit", std::to_string(status.limit)},
            {"X-RateLimit-Remaining", std::to_string(status.remaining)},
            {"X-RateLimit-Reset", std::to_string(status.resets_at)}};
}

std::string rate_identity(const RequestContext& context, const auth::Principal* principal) {
    if (principal != nullptr) {
        return principal->auth_id;
    }
    return "ip:" + context.request.remote_addr;
}

namespace {

// Keeps the outcome for the X-RateLimit-* headers and refuses a request over the limit.
void apply_window(RequestContext& context, RateAction action, const store::WindowCount& window) {
    if (context.worker.cache.is_purge_due(window.resets_at)) {
        store::purge_old_windows(context.sql);
    }
    const long long limit = limit_of(context.worker.config.rate_limits, action);
    const RateLimitStatus status{limit, std::max(0LL, limit - window.count), window.resets_at};
    if (action == RateAction::kWrite || action == RateAction::kRead) {
        context.rate_limit = status;
    }
    if (window.count > limit) {
        throw limit_exceeded(status);
    }
}

}  // namespace

void charge(RequestContext& context, RateAction action, const std::string& identity) {
    if (!context.worker.config.rate_limits.enabled) {
        return;
    }
    apply_window(context, action, store::count_request(context.sql, identity, action_name(action)));
}

std::optional<store::PodContext> load_and_charge(RequestContext& context,
                                                 RateAction action,
                                                 const std::string& identity,
                                                 const std::string& pod,
                                                 const std::string& stream_id,
                                                 std::optional<long long> record_index) {
    if (!context.worker.config.rate_limits.enabled) {
        return store::load_pod_context(context.sql, pod, stream_id, record_index);
    }
    auto counted = store::load_pod_context_counting(
        context.sql, pod, stream_id, {identity, action_name(action)}, record_index);
    apply_window(context, action, counted.window);
    return std::move(counted.pod);
}

}  // namespace webpods::handlers
