// Rate limits of SPEC §5: one count per request and action, shared by every worker.
#pragma once

#include <optional>
#include <string>

#include "handlers/context.h"
#include "http/error.h"

namespace webpods::handlers {

enum class RateAction { kWrite, kRead, kPodCreate, kStreamCreate };

// The identity a caller is counted as: its auth_id, or ip:{REMOTE_ADDR} (the address nginx
// saw, never a client header) when anonymous.
std::string rate_identity(const RequestContext& context, const auth::Principal* principal);

// 429 RATE_LIMIT_EXCEEDED with Retry-After and the X-RateLimit-* headers of `status`.
http::Error limit_exceeded(const RateLimitStatus& status);

// Counts the request. Throws Error(RATE_LIMIT_EXCEEDED) with Retry-After and X-RateLimit-*
// when over the limit. Write and read outcomes are kept in context.rate_limit so the router
// can put the X-RateLimit-* headers on the answer.
void charge(RequestContext& context, RateAction action, const std::string& identity);

// The pod context for stream_id (nullopt: no such pod), with the record at record_index when
// given, counting the request as `action` in the same round trip when rate limits are on.
// Throws like charge().
std::optional<store::PodContext> load_and_charge(
    RequestContext& context,
    RateAction action,
    const std::string& identity,
    const std::string& pod,
    const std::string& stream_id,
    std::optional<long long> record_index = std::nullopt);

}  // namespace webpods::handlers
