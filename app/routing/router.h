// Requests to routes: host to main domain or pod, method and path shape to a row of the route
// table, then the pipeline.
#pragma once

#include <string>
#include <string_view>

#include "handlers/context.h"
#include "http/request.h"
#include "http/response.h"
#include "routing/routes.h"

namespace webpods::routing {

// The row of the route table for a request on a host of `host` kind, with the parameters its
// path gave (pod hosts: params.pod set by the caller, stream_id = path without its '/').
// Throws Error(NOT_FOUND) when no shape matches, Error(METHOD_NOT_ALLOWED) with Allow when the
// resource has no row for the method. Pure: no I/O.
struct RouteMatch {
    const Route* route = nullptr;
    handlers::RouteParams params;
};
RouteMatch match_route(HostKind host,
                       http::Method method,
                       const std::string& path,
                       handlers::RouteParams params);

// Answers one request; throws errors::Error for every client mistake. A streamed answer is
// written to `output` before this returns (Response::sent).
http::Response dispatch(const handlers::Worker& worker,
                        const http::Request& request,
                        http::Output& output);

}  // namespace webpods::routing
