// Which `route` label of SPEC §13 a request is counted under, from its host, method and URI.
#pragma once

#include <string_view>

#include "http/request.h"
#include "metrics/metrics.h"

namespace webpods::metrics {

// Main domain: /health is health, /auth/... auth, anything else other. A pod: the login steps
// (GET /login, GET /auth/callback) auth; /.meta/... meta; otherwise POST append, DELETE delete,
// and a read is proof (?proof, ?checkpoint), range (?i=A:B), record (?i=N, or an alias path) or
// list. Another host: other. Never throws: a request too malformed to route is still counted.
Route route_of(const http::Request& request, std::string_view domain);

}  // namespace webpods::metrics
