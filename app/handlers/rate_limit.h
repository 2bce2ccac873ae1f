// Rate limits of SPEC §5: one count per request and action, shared by every worker and host.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "handlers/context.h"
#include "store/rate_limits.h"

namespace webpods::handlers {

// The outcome of a count, for the X-RateLimit-* headers.
struct RateLimitStatus {
    long long limit = 0;
    long long remaining = 0;
    long long resets_at = 0;  // Unix seconds
};

std::vector<std::pair<std::string, std::string>> rate_limit_headers(const RateLimitStatus& status);

// Whether the configuration counts requests at all.
bool is_rate_limited(const Worker& worker);

// The configured limit per window of `action`.
long long rate_limit_of(const Worker& worker, RateAction action);

// The identity an anonymous caller at remote_addr (the address nginx saw, never a client
// header) is counted as (SPEC §10): ip:{IPv4 address}, ip:{the /64 of an IPv6 address}/64
// (ip:2001:db8:1:2::/64), since one host holds a whole /64; anything else ip:{remote_addr}.
std::string address_identity(const std::string& remote_addr);

// The count to take for `action`: the caller's auth_id, or address_identity when anonymous.
store::RateCount rate_count(const RequestContext& context, RateAction action);

// The status after `window` was counted for `action`; throws Error(RATE_LIMIT_EXCEEDED) with
// Retry-After and X-RateLimit-* when over the limit. Purges ended windows once per window.
RateLimitStatus judge_window(RequestContext& context,
                             RateAction action,
                             const store::WindowCount& window);

// A count a handler takes beyond the route's own, for what the request turned out to do
// (pod_create, stream_create). Throws like judge_window; no-op when rate limits are off.
void charge(RequestContext& context, RateAction action);

}  // namespace webpods::handlers
