// Rate limiting over the rate_limit table.
#include "handlers/rate_limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <iterator>

#include "errors/errors.h"
#include "metrics/metrics.h"

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
        case RateAction::kLogin:
            return "login";
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
        case RateAction::kLogin:
            return limits.logins;
    }
    return limits.writes;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> rate_limit_headers(const RateLimitStatus& status) {
    return {{"X-RateLimit-Limit", std::to_string(status.limit)},
            {"X-RateLimit-Remaining", std::to_string(status.remaining)},
            {"X-RateLimit-Reset", std::to_string(status.resets_at)}};
}

bool is_rate_limited(const Worker& worker) { return worker.config.rate_limits.enabled; }

long long rate_limit_of(const Worker& worker, RateAction action) {
    return limit_of(worker.config.rate_limits, action);
}

std::string address_identity(const std::string& remote_addr) {
    in6_addr address{};
    if (remote_addr.find(':') == std::string::npos ||
        inet_pton(AF_INET6, remote_addr.c_str(), &address) != 1) {
        return "ip:" + remote_addr;
    }
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (IN6_IS_ADDR_V4MAPPED(&address)) {  // ::ffff:192.0.2.1 is the IPv4 host 192.0.2.1
        if (inet_ntop(AF_INET, &address.s6_addr[12], text.data(), text.size()) == nullptr) {
            return "ip:" + remote_addr;
        }
        return "ip:" + std::string(text.data());
    }
    std::fill(std::begin(address.s6_addr) + 8, std::end(address.s6_addr), 0);  // the /64
    if (inet_ntop(AF_INET6, &address, text.data(), text.size()) == nullptr) {
        return "ip:" + remote_addr;
    }
    return "ip:" + std::string(text.data()) + "/64";
}

store::RateCount rate_count(const RequestContext& context, RateAction action) {
    std::string identity = context.principal ? context.principal->auth_id
                                             : address_identity(context.request.remote_addr);
    return {std::move(identity), action_name(action)};
}

RateLimitStatus judge_window(RequestContext& context,
                             RateAction action,
                             const store::WindowCount& window) {
    if (context.worker.cache.is_purge_due(window.resets_at)) {
        store::purge_old_windows(context.tx());
    }
    const long long limit = limit_of(context.worker.config.rate_limits, action);
    const RateLimitStatus status{limit, std::max(0LL, limit - window.count), window.resets_at};
    if (window.count > limit) {
        const long long retry_after =
            std::max(1LL, status.resets_at - static_cast<long long>(std::time(nullptr)));
        metrics::count_rate_limited(action_name(action));
        throw errors::Error(errors::Code::kRateLimitExceeded)
            .with_header("Retry-After", std::to_string(retry_after))
            .with_headers(rate_limit_headers(status));
    }
    return status;
}

void charge(RequestContext& context, RateAction action) {
    if (!is_rate_limited(context.worker)) {
        return;
    }
    judge_window(context, action, store::count_request(context.tx(), rate_count(context, action)));
}

}  // namespace webpods::handlers
