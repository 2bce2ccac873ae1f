// GET /health on the main domain.
#pragma once

#include "handlers/context.h"
#include "http/response.h"

namespace webpods::handlers {

// 200 {"status":"healthy","database":"connected","version":..[,"replicas":[..]]} or 503 unhealthy
// (SPEC §3, §14). Leases its own session so that a failed connection is reported, not thrown.
http::Response health(const Worker& worker);

}  // namespace webpods::handlers
