// The session routes: who is calling, the browser's session, listing and revoking sessions.
#include "handlers/sessions.h"

#include <optional>
#include <vector>

#include "auth/cookies.h"
#include "auth/principal.h"
#include "auth/redirects.h"
#include "auth/sessions.h"
#include "errors/errors.h"
#include "handlers/pod_access.h"
#include "json/writer.h"
#include "store/sessions.h"
#include "store/users.h"

namespace webpods::handlers {

namespace {

std::string session_json(const store::Session& session) {
    return R"({"id":)" + json::quote(session.id) + R"(,"createdAt":)" +
           json::quote(session.created_at) + R"(,"expiresAt":)" + json::quote(session.expires_at) +
           "}";
}

}  // namespace

void keep_private(http::Response& response) {
    response.set_header("Cache-Control", "no-store");
    response.set_header("Referrer-Policy", "no-referrer");
}

http::Response private_redirect(std::string location) {
    http::Response response = http::Response::redirect(std::move(location));
    keep_private(response);
    return response;
}

http::Response private_json(std::string body) {
    http::Response response = http::Response::json(200, std::move(body));
    keep_private(response);
    return response;
}

http::Response whoami(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    const std::optional<store::User> user = store::find_user_by_id(context.tx(), principal.user_id);
    if (!user) {
        throw errors::Error(errors::Code::kInvalidToken);
    }
    return private_json(R"({"user_id":)" + json::quote(user->id) + R"(,"auth_id":)" +
                        json::quote(user->auth_id) + R"(,"email":)" + json::quote(user->email) +
                        R"(,"name":)" + json::quote(user->name) + R"(,"provider":)" +
                        json::quote(user->provider) + "}");
}

http::Response current_session(RequestContext& context) {
    const std::optional<auth::TouchedSession> touched =
        auth::touch_session(context.tx(), context.worker.config, context.request);
    if (!touched) {
        throw errors::Error(errors::Code::kNoSession);
    }
    const store::User& user = touched->owner.user;
    const store::Session& session = touched->owner.session;
    http::Response response = private_json(
        R"({"user":{"id":)" + json::quote(user.id) + R"(,"auth_id":)" + json::quote(user.auth_id) +
        R"(,"email":)" + json::quote(user.email) + R"(,"name":)" + json::quote(user.name) +
        R"(,"provider":)" + json::quote(user.provider) + R"(},"sessionId":)" +
        json::quote(session.id) + R"(,"createdAt":)" + json::quote(session.created_at) +
        R"(,"expiresAt":)" + json::quote(session.expires_at) + "}");
    response.set_header("Set-Cookie", touched->set_cookie);
    return response;
}

http::Response list_sessions(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    const std::vector<store::Session> sessions =
        store::list_sessions(context.tx(), principal.user_id);
    std::string body = R"({"sessions":[)";
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        if (i > 0) {
            body += ',';
        }
        body += session_json(sessions[i]);
    }
    return private_json(body + R"(],"count":)" + std::to_string(sessions.size()) + "}");
}

http::Response revoke_session(RequestContext& context, const std::string& session_id) {
    const auth::Principal& principal = require_caller(context);
    if (!store::delete_user_session(context.tx(), principal.user_id, session_id)) {
        throw errors::Error(errors::Code::kSessionNotFound);
    }
    return private_json(R"({"success":true})");
}

http::Response revoke_sessions(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    const long long count = store::delete_user_sessions(context.tx(), principal.user_id);
    return private_json(R"({"success":true,"count":)" + std::to_string(count) + "}");
}

http::Response logout(RequestContext& context) {
    auth::end_session(context.tx(), context.worker.config, context.request);
    http::Response response;
    if (context.request.method == http::Method::kPost) {
        response = private_json(R"({"success":true})");
    } else {
        const auto redirect = context.query.find("redirect");
        response = private_redirect(auth::safe_redirect(
            redirect == context.query.end() ? "" : redirect->second, context.worker.config.domain));
    }
    response.set_header("Set-Cookie",
                        auth::expired_cookie(auth::CookieId::kSession, context.request));
    response.set_header("Set-Cookie",
                        auth::expired_cookie(auth::CookieId::kMainToken, context.request));
    return response;
}

}  // namespace webpods::handlers
