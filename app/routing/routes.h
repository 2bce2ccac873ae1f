// The route table: for each host kind, path shape and method, the pipeline steps a request
// takes and the handler that answers it. Read it top to bottom: the first shape that matches a
// path decides its resource; the rows of that shape give its methods.
#pragma once

#include <string_view>
#include <vector>

#include "handlers/context.h"
#include "http/request.h"
#include "http/response.h"
#include "ids/ids.h"

namespace webpods::routing {

using HostKind = ids::HostKind;

// Who the pipeline establishes as the caller before the handler runs (SPEC §4).
enum class AuthPolicy {
    kNone,       // the handler needs no caller (login steps, /health)
    kPodReader,  // anonymous, a token for this pod, or a global token; POD_MISMATCH otherwise
    kPodWriter,  // a token bound to this pod: UNAUTHORIZED without one, POD_MISMATCH if another
    kMainToken,  // a main-domain token (header or cookie `token`): UNAUTHENTICATED without one
};

// The rate-limit action the route is counted as (SPEC §5, §10: kLogin, per address, for every
// login step); handlers add pod_create and stream_create themselves when a write turns out to
// create one.
enum class Charge { kNone, kRead, kWrite, kLogin };

// Which stream's pod context the pipeline loads, in the same statement as the count.
enum class PodContextOf { kNone, kPathStream, kOwnerStream, kLinksStream, kStreamsListing };

// Whether the route leases a database session for its use case. Only /health does without,
// so that it can say "unhealthy" rather than fail.
enum class Lease { kSession, kNone };

using Handler = http::Response (*)(handlers::RequestContext&);

// Methods as a bit set, so one row can serve GET and HEAD.
using MethodSet = unsigned;
constexpr MethodSet method_bit(http::Method method) { return 1U << static_cast<unsigned>(method); }
constexpr MethodSet kGet = method_bit(http::Method::kGet) | method_bit(http::Method::kHead);
constexpr MethodSet kPost = method_bit(http::Method::kPost);
constexpr MethodSet kDelete = method_bit(http::Method::kDelete);

struct Route {
    HostKind host;
    // Literal segments, "{name}" for one variable segment (RouteParams::name) and "{stream}"
    // for the rest of the path, a stream id (RouteParams::stream_id).
    std::string_view shape;
    MethodSet methods;
    AuthPolicy auth;
    Charge charge;
    PodContextOf pod_context;
    Handler handler;
    Lease lease = Lease::kSession;
};

// The table, in match order.
const std::vector<Route>& route_table();

}  // namespace webpods::routing
