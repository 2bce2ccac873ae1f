// The route table of SPEC §2 and §3 in one place.
#include "routing/routes.h"

#include "errors/errors.h"
#include "handlers/health.h"
#include "handlers/login.h"
#include "handlers/metrics.h"
#include "handlers/pods.h"
#include "handlers/proofs.h"
#include "handlers/sessions.h"
#include "handlers/streams.h"

namespace webpods::routing {

namespace {

using handlers::RequestContext;

http::Response health(RequestContext& context) { return handlers::health(context.worker); }
http::Response start_login(RequestContext& context) {
    return handlers::start_login(context, context.route.name);
}
http::Response finish_login(RequestContext& context) {
    return handlers::finish_login(context, context.route.name);
}
http::Response revoke_session(RequestContext& context) {
    return handlers::revoke_session(context, context.route.name);
}
http::Response pod_login(RequestContext& context) {
    return handlers::pod_login(context, context.route.pod);
}
http::Response pod_callback(RequestContext& context) {
    return handlers::pod_callback(context, context.route.pod);
}
http::Response refuse_read_only(RequestContext& /*context*/) {
    throw errors::Error(errors::Code::kForbidden, "System stream is read-only");
}

constexpr HostKind kMain = HostKind::kMainDomain;
constexpr HostKind kPod = HostKind::kPod;
constexpr MethodSet kLogout = method_bit(http::Method::kGet) | kPost;

using A = AuthPolicy;
using C = Charge;
using P = PodContextOf;

}  // namespace

const std::vector<Route>& route_table() {
    // clang-format off
    static const std::vector<Route> routes{
        // host  shape                       methods  auth           charge     pod context        handler
        {kMain, "/health",                   kGet,    A::kNone,      C::kNone,  P::kNone,          health, Lease::kNone},
        {kMain, "/metrics",                  kGet,    A::kNone,      C::kNone,  P::kNone,          handlers::serve_metrics, Lease::kNone},
        {kMain, "/auth/providers",           kGet,    A::kNone,      C::kNone,  P::kNone,          handlers::list_providers},
        {kMain, "/auth/logout",              kLogout, A::kNone,      C::kNone,  P::kNone,          handlers::logout},
        {kMain, "/auth/sessions",            kGet,    A::kMainToken, C::kNone,  P::kNone,          handlers::list_sessions},
        {kMain, "/auth/sessions",            kDelete, A::kMainToken, C::kNone,  P::kNone,          handlers::revoke_sessions},
        {kMain, "/auth/whoami",              kGet,    A::kMainToken, C::kNone,  P::kNone,          handlers::whoami},
        {kMain, "/auth/session",             kGet,    A::kNone,      C::kNone,  P::kNone,          handlers::current_session},
        {kMain, "/auth/success",             kGet,    A::kNone,      C::kNone,  P::kNone,          handlers::login_success},
        {kMain, "/auth/authorize",           kGet,    A::kNone,      C::kLogin, P::kNone,          handlers::authorize_pod},
        {kMain, "/auth/{name}",              kGet,    A::kNone,      C::kLogin, P::kNone,          start_login},
        {kMain, "/auth/sessions/{name}",     kDelete, A::kMainToken, C::kNone,  P::kNone,          revoke_session},
        {kMain, "/auth/{name}/callback",     kGet,    A::kNone,      C::kLogin, P::kNone,          finish_login},
        {kMain, "/.well-known/webpods-checkpoint-key", kGet, A::kNone, C::kNone, P::kNone,      handlers::checkpoint_key, Lease::kNone},

        {kPod,  "/",                         kGet,    A::kPodReader, C::kRead,  P::kPathStream,    handlers::read_path},
        {kPod,  "/",                         kDelete, A::kPodWriter, C::kWrite, P::kOwnerStream,   handlers::delete_pod},
        // Single sign-on (SPEC §3): reading these two paths is the login's, and works before
        // the pod exists; writing them is writing a stream of that name.
        {kPod,  "/login",                    kGet,    A::kNone,      C::kLogin, P::kNone,          pod_login},
        {kPod,  "/login",                    kPost,   A::kPodWriter, C::kWrite, P::kPathStream,    handlers::write_record},
        {kPod,  "/login",                    kDelete, A::kPodWriter, C::kWrite, P::kPathStream,    handlers::delete_stream},
        {kPod,  "/auth/callback",            kGet,    A::kNone,      C::kNone,  P::kNone,          pod_callback},
        {kPod,  "/auth/callback",            kPost,   A::kPodWriter, C::kWrite, P::kPathStream,    handlers::write_record},
        {kPod,  "/auth/callback",            kDelete, A::kPodWriter, C::kWrite, P::kPathStream,    handlers::delete_stream},
        {kPod,  "/.meta/streams",            kGet,    A::kPodReader, C::kRead,  P::kStreamsListing, handlers::list_streams},
        {kPod,  "/.meta/streams",            kPost | kDelete, A::kNone, C::kNone, P::kNone,        refuse_read_only},
        {kPod,  "/.meta/owner",              kGet,    A::kPodReader, C::kRead,  P::kPathStream,    handlers::read_path},
        {kPod,  "/.meta/owner",              kPost,   A::kPodWriter, C::kWrite, P::kOwnerStream,   handlers::transfer_owner},
        {kPod,  "/.meta/owner",              kDelete, A::kPodWriter, C::kWrite, P::kPathStream,    handlers::delete_stream},
        {kPod,  "/.meta/links",              kGet,    A::kPodReader, C::kRead,  P::kPathStream,    handlers::read_path},
        {kPod,  "/.meta/links",              kPost,   A::kPodWriter, C::kWrite, P::kLinksStream,   handlers::set_links},
        {kPod,  "/.meta/links",              kDelete, A::kPodWriter, C::kWrite, P::kPathStream,    handlers::delete_stream},
        {kPod,  "/{stream}",                 kGet,    A::kPodReader, C::kRead,  P::kPathStream,    handlers::read_path},
        {kPod,  "/{stream}",                 kPost,   A::kPodWriter, C::kWrite, P::kPathStream,    handlers::write_record},
        {kPod,  "/{stream}",                 kDelete, A::kPodWriter, C::kWrite, P::kPathStream,    handlers::delete_stream},
    };
    // clang-format on
    return routes;
}

}  // namespace webpods::routing
