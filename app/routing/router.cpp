// Routing: host, path shape and method to a row of the route table.
#include "routing/router.h"

#include <array>

#include "errors/errors.h"
#include "ids/ids.h"
#include "routing/pipeline.h"

namespace webpods::routing {

namespace {

constexpr std::string_view kStreamSegment = "{stream}";
constexpr std::string_view kNameSegment = "{name}";

// Whether `path` has `shape`; fills the {name} segment into params.
bool matches(std::string_view shape, std::string_view path, handlers::RouteParams& params) {
    while (!shape.empty()) {
        if (path.empty() || path.front() != '/' || shape.front() != '/') {
            return false;
        }
        shape.remove_prefix(1);
        path.remove_prefix(1);
        if (shape == kStreamSegment) {
            return !path.empty();  // validated as a stream id before routing
        }
        const std::size_t shape_end = std::min(shape.find('/'), shape.size());
        const std::size_t path_end = std::min(path.find('/'), path.size());
        const std::string_view segment = shape.substr(0, shape_end);
        const std::string_view value = path.substr(0, path_end);
        if (segment == kNameSegment) {
            if (value.empty()) {
                return false;
            }
            params.name = std::string(value);
        } else if (segment != value) {
            return false;
        }
        shape.remove_prefix(shape_end);
        path.remove_prefix(path_end);
    }
    return path.empty();
}

// The Allow header of a resource: its methods in a fixed order.
std::string allow_header(MethodSet methods) {
    static constexpr std::array<std::pair<http::Method, std::string_view>, 4> kOrder{{
        {http::Method::kGet, "GET"},
        {http::Method::kHead, "HEAD"},
        {http::Method::kPost, "POST"},
        {http::Method::kDelete, "DELETE"},
    }};
    std::string allow;
    for (const auto& [method, name] : kOrder) {
        if ((methods & method_bit(method)) != 0) {
            allow += (allow.empty() ? "" : ", ") + std::string(name);
        }
    }
    return allow;
}

}  // namespace

RouteMatch match_route(HostKind host,
                       http::Method method,
                       const std::string& path,
                       handlers::RouteParams params) {
    const std::vector<Route>& table = route_table();
    for (auto row = table.begin(); row != table.end(); ++row) {
        if (row->host != host || !matches(row->shape, path, params)) {
            continue;
        }
        // The first matching shape is the resource; its rows are its methods.
        MethodSet allowed = 0;
        for (auto same = row; same != table.end(); ++same) {
            if (same->host != host || same->shape != row->shape) {
                continue;
            }
            if ((same->methods & method_bit(method)) != 0) {
                return {&*same, std::move(params)};
            }
            allowed |= same->methods;
        }
        throw errors::Error(errors::Code::kMethodNotAllowed)
            .with_header("Allow", allow_header(allowed));
    }
    throw errors::Error(errors::Code::kNotFound);
}

http::Response dispatch(const handlers::Worker& worker,
                        const http::Request& request,
                        http::Output& output) {
    const ids::HostClass host = ids::classify_host(request.host, worker.config.domain);
    switch (host.kind) {
        case HostKind::kUnknown:
            throw errors::Error(errors::Code::kNotFound);
        case HostKind::kInvalidPod:
            throw errors::Error(errors::Code::kInvalidPodId);
        case HostKind::kMainDomain:
        case HostKind::kPod:
            break;
    }
    const std::string& path = request.path;
    handlers::RouteParams params;
    if (host.kind == HostKind::kPod) {
        // Paths are judged raw: '%' belongs to no id, and "." or ".." segments are refused
        // rather than normalised, so a path means exactly one stream, on every method.
        if (path.empty() || path.front() != '/' ||
            (path != "/" && !ids::is_valid_stream_id(std::string_view(path).substr(1)))) {
            throw errors::Error(errors::Code::kInvalidStreamId);
        }
        params.pod = host.pod;
        params.stream_id = path.substr(1);
    }
    RouteMatch match = match_route(host.kind, request.method, path, std::move(params));
    return run_pipeline(*match.route, worker, request, std::move(match.params), output);
}

}  // namespace webpods::routing
