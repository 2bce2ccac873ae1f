// Browser sessions and the caller's identity on the main domain (SPEC §3): /auth/session,
// /auth/sessions[/{id}], /auth/logout and /auth/whoami.
#pragma once

#include <string>

#include "handlers/context.h"
#include "http/response.h"

namespace webpods::handlers {

// Every handler below throws errors::Error with the SPEC codes named beside it; database failures
// as in store/.

// GET /auth/whoami: the caller's user. UNAUTHENTICATED, INVALID_TOKEN, TOKEN_EXPIRED.
http::Response whoami(RequestContext& context);

// GET /auth/session: the browser's session and its user, expiry extended. NO_SESSION.
http::Response current_session(RequestContext& context);

// GET /auth/sessions, DELETE /auth/sessions/{id}, DELETE /auth/sessions: the caller's live
// sessions, by token. UNAUTHENTICATED and the token errors; SESSION_NOT_FOUND.
http::Response list_sessions(RequestContext& context);
http::Response revoke_session(RequestContext& context, const std::string& session_id);
http::Response revoke_sessions(RequestContext& context);

// POST /auth/logout ({"success":true}) and GET /auth/logout[?redirect=/x] (302): ends the
// browser's session, if any, and clears its cookies.
http::Response logout(RequestContext& context);

// Answers that carry tokens or session state, here and in handlers/login.cpp, are never cached,
// and no token leaves in a Referer: Cache-Control: no-store, Referrer-Policy: no-referrer.
void keep_private(http::Response& response);
http::Response private_redirect(std::string location);  // 302
http::Response private_json(std::string body);          // 200

}  // namespace webpods::handlers
