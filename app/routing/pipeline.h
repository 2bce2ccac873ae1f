// The request pipeline: the steps every route runs, once, in this order [nginx phases]:
//   lease → authenticate → origin check (SPEC §9) → charge + pod context → handler
//   → common headers (rate-limit headers, also on errors).
// A handler receives what the steps established in its RequestContext and returns a response.
#pragma once

#include "handlers/context.h"
#include "http/request.h"
#include "http/response.h"
#include "routing/routes.h"

namespace webpods::routing {

// Runs `route` for `request` with the parameters its path gave. The whole use case (every step
// but the common headers) runs on one leased session and is retried as store::Database::run
// says: once after a rollback, and after a lost connection only for GET and HEAD. An answer
// with a produced body is sent to `output` on that session, its head first; a failure after the
// head is thrown as http::AnswerCutShort, never retried.
http::Response run_pipeline(const Route& route,
                            const handlers::Worker& worker,
                            const http::Request& request,
                            handlers::RouteParams params,
                            http::Output& output);

}  // namespace webpods::routing
