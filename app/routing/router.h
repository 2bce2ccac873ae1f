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

struct HostRoute {
    HostKind kind = HostKind::kUnknown;
    std::string pod;  // for kPod
};

// SPEC §1: the domain itself, one label under it (valid or not), or anything else.
HostRoute classify_host(std::string_view host, std::string_view domain);

// Answers one request; throws errors::Error for every client mistake.
http::Response dispatch(const handlers::Worker& worker, const http::Request& request);

}  // namespace webpods::routing
