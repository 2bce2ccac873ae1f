// GET /metrics on the main domain (SPEC §13).
#pragma once

#include "handlers/context.h"
#include "http/response.h"

namespace webpods::handlers {

// The host's metrics in the Prometheus text format 0.0.4, for a client whose address is one of
// metrics.allow; 404 NOT_FOUND for any other, as if the path did not exist.
http::Response serve_metrics(RequestContext& context);

}  // namespace webpods::handlers
