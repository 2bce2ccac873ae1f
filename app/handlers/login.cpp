// Login with any OAuth 2.0 provider, browser sessions in PostgreSQL, and single sign-on to pods.
#include "handlers/login.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <optional>

#include "auth/cookies.h"
#include "auth/oauth.h"
#include "auth/principal.h"
#include "auth/redirects.h"
#include "auth/token.h"
#include "chain/chain.h"
#include "handlers/login_page.h"
#include "http/error.h"
#include "http/json.h"
#include "routing/ids.h"
#include "store/oauth_states.h"
#include "store/sessions.h"
#include "store/users.h"

namespace webpods::handlers {

namespace {

using http::Error;
using http::ErrorKind;

constexpr std::size_t kRandomBytes = 32;  // state, PKCE verifier and session cookie: 256 bits

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string query_value(const RequestContext& context, std::string_view name) {
    const auto found = context.query.find(name);
    return found == context.query.end() ? std::string{} : found->second;
}

// ---- providers --------------------------------------------------------------------------------

std::string callback_uri(const config::Config& config, const config::OAuthProvider& provider) {
    if (!provider.callback_url.empty()) {
        return provider.callback_url;
    }
    return config.public_url + "/auth/" + provider.id + "/callback";
}

const config::OAuthProvider& require_provider(const config::Config& config, std::string_view id) {
    const config::OAuthProvider* provider = config.find_provider(id);
    if (provider == nullptr) {
        throw Error(ErrorKind::kInvalidInput, "INVALID_PROVIDER", "Unknown login provider");
    }
    return *provider;
}

// A provider's display name: the config has none, so well-known ids get their brand spelling and
// others are capitalised ("my-idp" -> "My idp").
std::string display_name(const std::string& provider_id) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kKnown{{
        {"github", "GitHub"},
        {"gitlab", "GitLab"},
        {"google", "Google"},
        {"microsoft", "Microsoft"},
        {"apple", "Apple"},
        {"facebook", "Facebook"},
        {"bitbucket", "Bitbucket"},
        {"keycloak", "Keycloak"},
    }};
    for (const auto& [id, name] : kKnown) {
        if (id == provider_id) {
            return std::string(name);
        }
    }
    std::string name = provider_id;
    std::replace(name.begin(), name.end(), '-', ' ');
    std::replace(name.begin(), name.end(), '_', ' ');
    if (!name.empty()) {
        name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    }
    return name;
}

// ---- responses --------------------------------------------------------------------------------

// Answers that carry tokens or session state are never cached, and no token leaves in a Referer.
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

// ---- sessions ---------------------------------------------------------------------------------

// The session table stores HMAC-SHA256(sessionSecret, cookie value), never the cookie itself:
// neither a copy of the table nor the ids that /auth/sessions lists can be replayed as a cookie.
std::string session_key(const config::Config& config, std::string_view cookie_value) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (HMAC(EVP_sha256(),
             config.session_secret.data(),
             static_cast<int>(config.session_secret.size()),
             reinterpret_cast<const unsigned char*>(cookie_value.data()),
             cookie_value.size(),
             digest.data(),
             &size) == nullptr) {
        throw Error(ErrorKind::kInternal, "INTERNAL_ERROR", "Internal error", "HMAC failed");
    }
    return chain::hex_encode({reinterpret_cast<const char*>(digest.data()), size});
}

// The session cookie's stored key, when the request carries a well-formed one.
std::optional<std::string> session_key_of(const RequestContext& context) {
    const std::optional<std::string> value =
        auth::read_cookie(context.request, auth::CookieId::kSession);
    if (!value || value->size() != 2 * kRandomBytes ||
        !std::all_of(value->begin(), value->end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        })) {
        return std::nullopt;
    }
    return session_key(context.worker.config, *value);
}

// The browser's live session, its expiry slid forward; the refreshed cookie goes on response.
std::optional<store::SessionOwner> touch_session(RequestContext& context,
                                                 http::Response& response) {
    const std::optional<std::string> key = session_key_of(context);
    if (!key) {
        return std::nullopt;
    }
    auto owner = store::touch_session(context.sql, *key, kSessionLifetimeSeconds);
    if (owner) {
        response.set_header(
            "Set-Cookie",
            auth::set_cookie(auth::CookieId::kSession,
                             *auth::read_cookie(context.request, auth::CookieId::kSession),
                             kSessionLifetimeSeconds,
                             context.request));
    }
    return owner;
}

std::string session_json(const store::Session& session) {
    return R"({"id":)" + http::json_quote(session.id) + R"(,"createdAt":)" +
           http::json_quote(session.created_at) + R"(,"expiresAt":)" +
           http::json_quote(session.expires_at) + "}";
}

// ---- tokens -----------------------------------------------------------------------------------

std::string issue_token(const config::Config& config,
                        const store::User& user,
                        const std::optional<std::string>& pod) {
    return auth::issue_token(user, pod, config.jwt_secret, config.jwt_expiry);
}

auth::Principal require_principal(RequestContext& context) {
    auto principal = auth::authenticate(context.request,
                                        auth::TokenCookie::kMainToken,
                                        context.worker.config.jwt_secret,
                                        context.sql,
                                        context.worker.cache.known_users());
    if (!principal) {
        throw Error(ErrorKind::kUnauthenticated, "UNAUTHENTICATED", "Authentication required");
    }
    return std::move(*principal);
}

// The pod's callback URL that hands a fresh pod token to the browser.
std::string pod_callback_url(const config::Config& config,
                             const store::User& user,
                             const std::string& pod,
                             const std::string& redirect) {
    return auth::pod_origin(config, pod) +
           "/auth/callback?token=" + auth::url_encode(issue_token(config, user, pod)) +
           "&redirect=" + auth::url_encode(redirect.empty() ? "/" : redirect);
}

// ---- the flow ---------------------------------------------------------------------------------

// Remembers the login (state, PKCE verifier, pod, redirect) and sends the browser to the
// provider.
http::Response begin_login(RequestContext& context,
                           const config::OAuthProvider& provider,
                           const std::string& pod,
                           const std::string& redirect) {
    const auth::OAuthEndpoints endpoints = auth::resolve_endpoints(provider);
    store::OAuthState login{provider.id, auth::random_url_token(kRandomBytes), pod, redirect};
    const std::string state = auth::random_url_token(kRandomBytes);
    store::insert_oauth_state(context.sql, state, login, kOAuthStateLifetimeSeconds);
    return private_redirect(auth::authorization_url(provider,
                                                    endpoints,
                                                    callback_uri(context.worker.config, provider),
                                                    state,
                                                    auth::pkce_challenge(login.code_verifier)));
}

}  // namespace

http::Response list_providers(RequestContext& context) {
    std::string body = R"({"providers":[)";
    bool first = true;
    for (const config::OAuthProvider& provider : context.worker.config.providers) {
        if (!first) {
            body += ',';
        }
        first = false;
        body += R"({"id":)" + http::json_quote(provider.id) + R"(,"name":)" +
                http::json_quote(display_name(provider.id)) + R"(,"login_url":)" +
                http::json_quote("/auth/" + provider.id) + "}";
    }
    return http::Response::json(200, body + "]}");
}

http::Response start_login(RequestContext& context, const std::string& provider_id) {
    const config::OAuthProvider& provider = require_provider(context.worker.config, provider_id);
    const std::string redirect = query_value(context, "redirect");
    return begin_login(context,
                       provider,
                       {},
                       redirect.empty()
                           ? std::string{}
                           : auth::safe_redirect(redirect, context.worker.config.domain));
}

http::Response finish_login(RequestContext& context, const std::string& provider_id) {
    const config::Config& config = context.worker.config;
    const config::OAuthProvider& provider = require_provider(config, provider_id);
    const std::string code = query_value(context, "code");
    const std::string state = query_value(context, "state");
    if (state.empty() || code.empty()) {
        // A refusal at the provider (?error=access_denied&state=..) still uses up its state.
        if (!state.empty()) {
            store::take_oauth_state(context.sql, state);
        }
        throw Error(ErrorKind::kInvalidInput,
                    "INVALID_CALLBACK",
                    context.query.count("error") > 0 ? "The provider did not grant the login"
                                                     : "Missing code or state");
    }
    // Taken (deleted) before the provider is asked, so a replayed callback fails here even while
    // the first one is still talking to the provider.
    const std::optional<store::OAuthState> login = store::take_oauth_state(context.sql, state);
    if (!login || login->provider != provider.id) {
        throw Error(ErrorKind::kInvalidInput, "INVALID_STATE", "Unknown, expired or used state");
    }

    const auth::OAuthEndpoints endpoints = auth::resolve_endpoints(provider);
    const std::string access_token = auth::exchange_code(
        provider, endpoints, code, login->code_verifier, callback_uri(config, provider));
    const auth::OAuthIdentity identity = auth::fetch_identity(provider, endpoints, access_token);
    const store::User user = store::upsert_user(context.sql,
                                                "auth:" + provider.id + ":" + identity.user_id,
                                                provider.id,
                                                identity.email,
                                                identity.name);

    // A new login replaces the browser's previous session rather than leaving it behind.
    if (const std::optional<std::string> previous = session_key_of(context)) {
        store::delete_session(context.sql, *previous);
    }
    const std::string cookie_value = auth::random_hex(kRandomBytes);
    store::create_session(
        context.sql, session_key(config, cookie_value), user.id, kSessionLifetimeSeconds);

    http::Response response;
    if (!login->pod.empty()) {
        response = private_redirect(pod_callback_url(config, user, login->pod, login->redirect));
    } else {
        const std::string token = issue_token(config, user, std::nullopt);
        std::string location = "/auth/success?token=" + auth::url_encode(token);
        if (!login->redirect.empty()) {
            location += "&redirect=" + auth::url_encode(login->redirect);
        }
        response = private_redirect(std::move(location));
        response.set_header(
            "Set-Cookie",
            auth::set_cookie(
                auth::CookieId::kMainToken, token, config.jwt_expiry, context.request));
    }
    response.set_header(
        "Set-Cookie",
        auth::set_cookie(
            auth::CookieId::kSession, cookie_value, kSessionLifetimeSeconds, context.request));
    return response;
}

http::Response authorize_pod(RequestContext& context) {
    const config::Config& config = context.worker.config;
    const std::string pod = query_value(context, "pod");
    if (pod.empty()) {
        throw Error(ErrorKind::kInvalidInput, "MISSING_POD", "Missing pod");
    }
    if (!routing::is_valid_pod_id(pod)) {
        throw Error(ErrorKind::kInvalidInput, "INVALID_POD_ID", "Invalid pod id");
    }
    const std::string redirect =
        auth::safe_redirect(query_value(context, "redirect"), config.domain);

    http::Response response;
    if (const auto owner = touch_session(context, response)) {
        http::Response redirect_response =
            private_redirect(pod_callback_url(config, owner->user, pod, redirect));
        for (auto& header : response.headers) {
            redirect_response.headers.push_back(header);
        }
        return redirect_response;
    }
    std::string provider_id = query_value(context, "provider");
    if (provider_id.empty()) {
        provider_id = config.default_provider;
    }
    if (provider_id.empty() && !config.providers.empty()) {
        provider_id = config.providers[0].id;
    }
    return begin_login(context, require_provider(config, provider_id), pod, redirect);
}

http::Response login_success(RequestContext& context) {
    const std::string token = query_value(context, "token");
    if (token.empty()) {
        throw Error(ErrorKind::kInvalidInput, "MISSING_TOKEN", "Missing token");
    }
    const std::string redirect =
        auth::safe_redirect(query_value(context, "redirect"), context.worker.config.domain);
    http::Response response;
    response.status = 200;
    response.set_header("Content-Type", "text/html; charset=utf-8");
    keep_private(response);
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Content-Security-Policy", std::string(kLoginPagePolicy));
    response.body = login_page(token, redirect);
    return response;
}

http::Response whoami(RequestContext& context) {
    const auth::Principal principal = require_principal(context);
    const std::optional<store::User> user = store::find_user_by_id(context.sql, principal.user_id);
    if (!user) {
        throw Error(ErrorKind::kUnauthenticated, "INVALID_TOKEN", "Invalid token");
    }
    return private_json(R"({"user_id":)" + http::json_quote(user->id) + R"(,"auth_id":)" +
                        http::json_quote(user->auth_id) + R"(,"email":)" +
                        http::json_quote(user->email) + R"(,"name":)" +
                        http::json_quote(user->name) + R"(,"provider":)" +
                        http::json_quote(user->provider) + "}");
}

http::Response current_session(RequestContext& context) {
    http::Response response;
    const std::optional<store::SessionOwner> owner = touch_session(context, response);
    if (!owner) {
        throw Error(ErrorKind::kUnauthenticated, "NO_SESSION", "No session");
    }
    const store::User& user = owner->user;
    http::Response answer =
        private_json(R"({"user":{"id":)" + http::json_quote(user.id) + R"(,"auth_id":)" +
                     http::json_quote(user.auth_id) + R"(,"email":)" +
                     http::json_quote(user.email) + R"(,"name":)" + http::json_quote(user.name) +
                     R"(,"provider":)" + http::json_quote(user.provider) + R"(},"sessionId":)" +
                     http::json_quote(owner->session.id) + R"(,"createdAt":)" +
                     http::json_quote(owner->session.created_at) + R"(,"expiresAt":)" +
                     http::json_quote(owner->session.expires_at) + "}");
    for (auto& header : response.headers) {
        answer.headers.push_back(header);
    }
    return answer;
}

http::Response list_sessions(RequestContext& context) {
    const auth::Principal principal = require_principal(context);
    const std::vector<store::Session> sessions =
        store::list_sessions(context.sql, principal.user_id);
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
    const auth::Principal principal = require_principal(context);
    if (!store::delete_user_session(context.sql, principal.user_id, session_id)) {
        throw Error(ErrorKind::kNotFound, "SESSION_NOT_FOUND", "Session not found");
    }
    return private_json(R"({"success":true})");
}

http::Response revoke_sessions(RequestContext& context) {
    const auth::Principal principal = require_principal(context);
    const long long count = store::delete_user_sessions(context.sql, principal.user_id);
    return private_json(R"({"success":true,"count":)" + std::to_string(count) + "}");
}

http::Response logout(RequestContext& context) {
    if (const std::optional<std::string> key = session_key_of(context)) {
        store::delete_session(context.sql, *key);
    }
    http::Response response =
        context.request.method == http::Method::kPost
            ? private_json(R"({"success":true})")
            : private_redirect(auth::safe_redirect(query_value(context, "redirect"),
                                                   context.worker.config.domain));
    response.set_header("Set-Cookie",
                        auth::expired_cookie(auth::CookieId::kSession, context.request));
    response.set_header("Set-Cookie",
                        auth::expired_cookie(auth::CookieId::kMainToken, context.request));
    return response;
}

http::Response pod_login(RequestContext& context, const std::string& pod) {
    const config::Config& config = context.worker.config;
    const std::string redirect =
        auth::safe_redirect(query_value(context, "redirect"), config.domain);
    return private_redirect(config.public_url + "/auth/authorize?pod=" + auth::url_encode(pod) +
                            "&redirect=" + auth::url_encode(redirect));
}

http::Response pod_callback(RequestContext& context, const std::string& pod) {
    const config::Config& config = context.worker.config;
    const std::string token = query_value(context, "token");
    if (token.empty()) {
        throw Error(ErrorKind::kInvalidInput, "MISSING_TOKEN", "Missing token");
    }
    const std::int64_t now = now_unix();
    const auth::Claims claims = auth::verify_token(token, config.jwt_secret, now);
    if (!context.worker.cache.known_users().contains(claims.user_id, claims.auth_id)) {
        const std::optional<store::User> user = store::find_user_by_id(context.sql, claims.user_id);
        if (!user || user->auth_id != claims.auth_id) {
            throw Error(ErrorKind::kUnauthenticated,
                        "INVALID_TOKEN",
                        "Invalid token",
                        "token names no existing user");
        }
        context.worker.cache.known_users().remember(claims.user_id, claims.auth_id);
    }
    if (!claims.pod || *claims.pod != pod) {
        throw Error(ErrorKind::kUnauthenticated, "POD_MISMATCH", "Token is not valid for this pod");
    }
    http::Response response =
        private_redirect(auth::safe_redirect(query_value(context, "redirect"), config.domain));
    response.set_header(
        "Set-Cookie",
        auth::set_cookie(
            auth::CookieId::kPodToken, token, claims.expires_at - now, context.request));
    return response;
}

}  // namespace webpods::handlers
