// Routing: the table of SPEC §2 and §3 in one place.
#include "routing/router.h"

#include "handlers/health.h"
#include "handlers/login.h"
#include "handlers/pod_access.h"
#include "handlers/pods.h"
#include "handlers/streams.h"
#include "http/error.h"
#include "routing/ids.h"

namespace webpods::routing {

namespace {

using http::Error;
using http::ErrorKind;
using http::Method;

Error not_found() { return {ErrorKind::kNotFound, "NOT_FOUND", "Not found"}; }

http::Response method_not_allowed(const char* allow) {
    http::Response response = http::error_response(
        Error(ErrorKind::kMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed"));
    response.set_header("Allow", allow);
    return response;
}

bool is_read(Method method) { return method == Method::kGet || method == Method::kHead; }

// /auth/{name} on the main domain (SPEC §3). Fixed names come before /auth/{provider}, so no
// provider can be called "providers", "session" and so on.
http::Response dispatch_auth_name(handlers::RequestContext& context, std::string_view name) {
    const Method method = context.request.method;
    if (name == "logout") {
        if (method == Method::kPost || method == Method::kGet) {
            return handlers::logout(context);
        }
        return method_not_allowed("GET, POST");
    }
    if (name == "sessions") {
        if (is_read(method)) {
            return handlers::list_sessions(context);
        }
        if (method == Method::kDelete) {
            return handlers::revoke_sessions(context);
        }
        return method_not_allowed("GET, HEAD, DELETE");
    }
    if (!is_read(method)) {
        return method_not_allowed("GET, HEAD");
    }
    if (name == "providers") {
        return handlers::list_providers(context);
    }
    if (name == "whoami") {
        return handlers::whoami(context);
    }
    if (name == "session") {
        return handlers::current_session(context);
    }
    if (name == "success") {
        return handlers::login_success(context);
    }
    if (name == "authorize") {
        return handlers::authorize_pod(context);
    }
    return handlers::start_login(context, std::string(name));
}

// /auth/{first}/{second}: a session to revoke or a provider's callback.
http::Response dispatch_auth_pair(handlers::RequestContext& context,
                                  std::string_view first,
                                  std::string_view second) {
    const Method method = context.request.method;
    if (first == "sessions") {
        if (method != Method::kDelete) {
            return method_not_allowed("DELETE");
        }
        return handlers::revoke_session(context, std::string(second));
    }
    if (second == "callback") {
        if (!is_read(method)) {
            return method_not_allowed("GET, HEAD");
        }
        return handlers::finish_login(context, std::string(first));
    }
    throw not_found();
}

http::Response dispatch_auth(handlers::RequestContext& context, std::string_view rest) {
    const std::size_t slash = rest.find('/');
    const std::string_view first = rest.substr(0, slash);
    if (first.empty()) {
        throw not_found();
    }
    if (slash == std::string_view::npos) {
        return dispatch_auth_name(context, first);
    }
    const std::string_view second = rest.substr(slash + 1);
    if (second.empty() || second.find('/') != std::string_view::npos) {
        throw not_found();
    }
    return dispatch_auth_pair(context, first, second);
}

http::Response dispatch_main(const handlers::Worker& worker, const http::Request& request) {
    if (request.path == "/health") {
        if (!is_read(request.method)) {
            return method_not_allowed("GET, HEAD");
        }
        return handlers::health(worker);
    }
    static constexpr std::string_view kAuthPrefix = "/auth/";
    if (request.path.rfind(kAuthPrefix, 0) == 0) {
        store::Database::Lease lease(worker.database);
        handlers::RequestContext context{
            worker, request, lease.sql(), http::parse_query(request.query_string)};
        return dispatch_auth(context, std::string_view(request.path).substr(kAuthPrefix.size()));
    }
    throw not_found();
}

http::Response dispatch_pod(handlers::RequestContext& context, const std::string& pod) {
    const std::string& path = context.request.path;
    const Method method = context.request.method;
    if (path == "/") {
        if (is_read(method)) {
            return handlers::read_path(context, pod, path);
        }
        if (method == Method::kDelete) {
            return handlers::delete_pod(context, pod);
        }
        return method_not_allowed("GET, HEAD, DELETE");
    }
    // Single sign-on (SPEC §3): these two paths are the login's, not streams, and work before
    // the pod exists.
    if (is_read(method) && path == "/login") {
        return handlers::pod_login(context, pod);
    }
    if (is_read(method) && path == "/auth/callback") {
        return handlers::pod_callback(context, pod);
    }
    const std::string stream_id = path.substr(1);
    if (stream_id == handlers::kStreamsListing) {
        if (is_read(method)) {
            return handlers::list_streams(context, pod);
        }
        if (method == Method::kPost || method == Method::kDelete) {
            throw Error(ErrorKind::kForbidden, "FORBIDDEN", "System stream is read-only");
        }
        return method_not_allowed("GET, HEAD, POST, DELETE");
    }
    switch (method) {
        case Method::kGet:
        case Method::kHead:
            return handlers::read_path(context, pod, path);
        case Method::kPost:
            if (stream_id == handlers::kOwnerStream) {
                return handlers::transfer_owner(context, pod);
            }
            if (stream_id == handlers::kLinksStream) {
                return handlers::set_links(context, pod);
            }
            return handlers::write_record(context, pod, stream_id);
        case Method::kDelete:
            return handlers::delete_stream(context, pod, stream_id);
        case Method::kPut:
        case Method::kPatch:
        case Method::kOptions:
        case Method::kOther:
            break;
    }
    return method_not_allowed("GET, HEAD, POST, DELETE");
}

}  // namespace

HostRoute classify_host(std::string_view host, std::string_view domain) {
    if (host == domain) {
        return {HostKind::kMainDomain, {}};
    }
    if (host.size() > domain.size() + 1 && host.substr(host.size() - domain.size()) == domain &&
        host[host.size() - domain.size() - 1] == '.') {
        const std::string_view label = host.substr(0, host.size() - domain.size() - 1);
        if (label.find('.') != std::string_view::npos) {
            return {HostKind::kUnknown, {}};
        }
        if (!is_valid_pod_id(label)) {
            return {HostKind::kInvalidPod, {}};
        }
        return {HostKind::kPod, std::string(label)};
    }
    return {HostKind::kUnknown, {}};
}

http::Response dispatch(const handlers::Worker& worker, const http::Request& request) {
    const HostRoute route = classify_host(request.host, worker.config.domain);
    switch (route.kind) {
        case HostKind::kUnknown:
            throw not_found();
        case HostKind::kInvalidPod:
            throw Error(ErrorKind::kInvalidInput, "INVALID_POD_ID", "Invalid pod id");
        case HostKind::kMainDomain:
            return dispatch_main(worker, request);
        case HostKind::kPod:
            break;
    }
    // Paths are judged raw: '%' belongs to no id, and "." or ".." segments are refused rather
    // than normalised, so a path means exactly one stream.
    const std::string& path = request.path;
    if (path.empty() || path.front() != '/' ||
        (path != "/" && !is_valid_stream_id(std::string_view(path).substr(1)))) {
        throw Error(ErrorKind::kInvalidInput, "INVALID_STREAM_ID", "Invalid stream id");
    }
    store::Database::Lease lease(worker.database);
    handlers::RequestContext context{
        worker, request, lease.sql(), http::parse_query(request.query_string)};
    http::Response response = dispatch_pod(context, route.pod);
    if (context.rate_limit) {
        for (auto& [name, value] : handlers::rate_limit_headers(*context.rate_limit)) {
            response.set_header(std::move(name), std::move(value));
        }
    }
    return response;
}

}  // namespace webpods::routing
