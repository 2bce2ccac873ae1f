// Login with any OAuth 2.0 provider, and single sign-on to pods with pod tokens.
#include "handlers/login.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <optional>

#include "auth/cookies.h"
#include "auth/oauth.h"
#include "auth/principal.h"
#include "auth/redirects.h"
#include "auth/sessions.h"
#include "auth/token.h"
#include "errors/errors.h"
#include "handlers/login_page.h"
#include "handlers/sessions.h"
#include "ids/ids.h"
#include "json/writer.h"
#include "store/oauth_states.h"
#include "store/users.h"

namespace webpods::handlers {

namespace {

constexpr std::size_t kRandomBytes = 32;  // states and PKCE verifier: 256 bits

// A pod's state as /auth/authorize takes it: up to this many URL-safe characters (a pod's /login
// sends 43), so what the oauth_state row keeps stays small.
constexpr std::size_t kMaxPodStateSize = 128;

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
        throw errors::Error(errors::Code::kInvalidProvider);
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

// ---- tokens -----------------------------------------------------------------------------------

std::string issue_token(const config::Config& config,
                        const store::User& user,
                        const std::optional<std::string>& pod) {
    return auth::issue_token(user, pod, config.jwt_secret, config.jwt_expiry);
}

// The pod's callback URL that hands a fresh pod token to the browser, with the pod's own state
// (SPEC §9) when it sent one.
std::string pod_callback_url(const config::Config& config,
                             const store::User& user,
                             const std::string& pod,
                             const std::string& pod_state,
                             const std::string& redirect) {
    std::string url = auth::pod_origin(config, pod) +
                      "/auth/callback?token=" + auth::url_encode(issue_token(config, user, pod));
    if (!pod_state.empty()) {
        url += "&state=" + auth::url_encode(pod_state);
    }
    return url + "&redirect=" + auth::url_encode(redirect.empty() ? "/" : redirect);
}

bool is_url_safe(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

// The state a pod's /login passed to /auth/authorize; empty when none was given.
std::string pod_state_of(const RequestContext& context) {
    std::string state = query_value(context, "state");
    if (state.size() > kMaxPodStateSize || !std::all_of(state.begin(), state.end(), is_url_safe)) {
        throw errors::Error(errors::Code::kInvalidState,
                            "state must be up to 128 URL-safe characters");
    }
    return state;
}

// ---- the flow ---------------------------------------------------------------------------------

// Remembers the login (state, PKCE verifier, pod, redirect, the pod's state, the key of this
// browser's state cookie), sets that cookie and sends the browser to the provider.
http::Response begin_login(RequestContext& context,
                           const config::OAuthProvider& provider,
                           const std::string& pod,
                           const std::string& redirect,
                           const std::string& pod_state) {
    const config::Config& config = context.worker.config;
    const auth::OAuthEndpoints endpoints = auth::resolve_endpoints(provider);
    const auth::LoginBinding binding =
        auth::bind_login(config, context.request, kOAuthStateLifetimeSeconds);
    store::OAuthState login;
    login.provider = provider.id;
    login.code_verifier = auth::random_url_token(kRandomBytes);
    login.pod = pod;
    login.redirect = redirect;
    login.browser_key = binding.key;
    login.pod_state = pod_state;
    const std::string state = auth::random_url_token(kRandomBytes);
    store::insert_oauth_state(context.tx(), state, login, kOAuthStateLifetimeSeconds);
    http::Response response =
        private_redirect(auth::authorization_url(provider,
                                                 endpoints,
                                                 callback_uri(config, provider),
                                                 state,
                                                 auth::pkce_challenge(login.code_verifier)));
    response.set_header("Set-Cookie", binding.set_cookie);
    return response;
}

// finish_login without the clearing of the state cookie.
http::Response complete_login(RequestContext& context, const std::string& provider_id) {
    const config::Config& config = context.worker.config;
    const config::OAuthProvider& provider = require_provider(config, provider_id);
    const std::string code = query_value(context, "code");
    const std::string state = query_value(context, "state");
    if (state.empty() || code.empty()) {
        // A refusal at the provider (?error=access_denied&state=..) still uses up its state.
        if (!state.empty()) {
            store::take_oauth_state(context.tx(), state);
        }
        throw errors::Error(errors::Code::kInvalidCallback,
                            context.query.count("error") > 0
                                ? "The provider did not grant the login"
                                : "Missing code or state");
    }
    // Taken (deleted) before the provider is asked, so a replayed callback fails here even while
    // the first one is still talking to the provider; a callback opened in another browser
    // (login fixation, SPEC §9) spends the state too.
    const std::optional<store::OAuthState> login = store::take_oauth_state(context.tx(), state);
    if (!login || login->provider != provider.id) {
        throw errors::Error(errors::Code::kInvalidState);
    }
    if (!auth::is_bound_login(config, context.request, login->browser_key)) {
        throw errors::Error(
            errors::Code::kInvalidState, {}, "state cookie missing or not the login's");
    }

    const auth::OAuthEndpoints endpoints = auth::resolve_endpoints(provider);
    const std::string access_token = auth::exchange_code(
        provider, endpoints, code, login->code_verifier, callback_uri(config, provider));
    const auth::OAuthIdentity identity = auth::fetch_identity(provider, endpoints, access_token);
    const store::User user = store::upsert_user(context.tx(),
                                                "auth:" + provider.id + ":" + identity.user_id,
                                                provider.id,
                                                identity.email,
                                                identity.name);

    const std::string session_cookie =
        auth::start_session(context.tx(), config, context.request, user.id);

    http::Response response;
    if (!login->pod.empty()) {
        response = private_redirect(
            pod_callback_url(config, user, login->pod, login->pod_state, login->redirect));
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
    response.set_header("Set-Cookie", session_cookie);
    return response;
}

// pod_callback once the state matched: the token checks and the pod token cookie.
http::Response accept_pod_token(RequestContext& context,
                                const std::string& pod,
                                const std::string& token) {
    const config::Config& config = context.worker.config;
    const std::int64_t now = now_unix();
    const auth::Claims claims = auth::verify_token(token, config.jwt_secret, now);
    if (!context.worker.cache.known_users().contains(claims.user_id, claims.auth_id)) {
        const std::optional<store::User> user =
            store::find_user_by_id(context.tx(), claims.user_id);
        if (!user || user->auth_id != claims.auth_id) {
            throw errors::Error(errors::Code::kInvalidToken, {}, "token names no existing user");
        }
        context.worker.cache.known_users().remember(claims.user_id, claims.auth_id);
    }
    if (!claims.pod || *claims.pod != pod) {
        throw errors::Error(errors::Code::kPodMismatch);
    }
    http::Response response =
        private_redirect(auth::safe_redirect(query_value(context, "redirect"), config.domain));
    response.set_header(
        "Set-Cookie",
        auth::set_cookie(
            auth::CookieId::kPodToken, token, claims.expires_at - now, context.request));
    return response;
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
        body += R"({"id":)" + json::quote(provider.id) + R"(,"name":)" +
                json::quote(display_name(provider.id)) + R"(,"login_url":)" +
                json::quote("/auth/" + provider.id) + "}";
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
                           : auth::safe_redirect(redirect, context.worker.config.domain),
                       {});
}

http::Response finish_login(RequestContext& context, const std::string& provider_id) {
    // The state cookie has done its job once the provider sent the browser back, whatever the
    // answer; a later login sets a new one.
    std::string cleared = auth::expired_cookie(auth::CookieId::kLoginState, context.request);
    try {
        http::Response response = complete_login(context, provider_id);
        response.set_header("Set-Cookie", std::move(cleared));
        return response;
    } catch (errors::Error& error) {
        error.with_header("Set-Cookie", std::move(cleared));
        throw;
    }
}

http::Response authorize_pod(RequestContext& context) {
    const config::Config& config = context.worker.config;
    const std::string pod = query_value(context, "pod");
    if (pod.empty()) {
        throw errors::Error(errors::Code::kMissingPod);
    }
    if (!ids::is_valid_pod_id(pod)) {
        throw errors::Error(errors::Code::kInvalidPodId);
    }
    const std::string redirect =
        auth::safe_redirect(query_value(context, "redirect"), config.domain);
    const std::string pod_state = pod_state_of(context);

    if (const auto touched = auth::touch_session(context.tx(), config, context.request)) {
        http::Response response = private_redirect(
            pod_callback_url(config, touched->owner.user, pod, pod_state, redirect));
        response.set_header("Set-Cookie", touched->set_cookie);
        return response;
    }
    std::string provider_id = query_value(context, "provider");
    if (provider_id.empty()) {
        provider_id = config.default_provider;
    }
    if (provider_id.empty() && !config.providers.empty()) {
        provider_id = config.providers[0].id;
    }
    return begin_login(context, require_provider(config, provider_id), pod, redirect, pod_state);
}

http::Response login_success(RequestContext& context) {
    const std::string token = query_value(context, "token");
    if (token.empty()) {
        throw errors::Error(errors::Code::kMissingToken);
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

http::Response pod_login(RequestContext& context, const std::string& pod) {
    const config::Config& config = context.worker.config;
    const std::string redirect =
        auth::safe_redirect(query_value(context, "redirect"), config.domain);
    // The pod's own state (SPEC §9): only the browser holding this cookie can finish the login
    // at this pod's /auth/callback, so a token cannot be planted in someone else's browser.
    const std::string state = auth::random_url_token(kRandomBytes);
    http::Response response = private_redirect(
        config.public_url + "/auth/authorize?pod=" + auth::url_encode(pod) +
        "&redirect=" + auth::url_encode(redirect) + "&state=" + auth::url_encode(state));
    response.set_header(
        "Set-Cookie",
        auth::set_cookie(
            auth::CookieId::kPodLogin, state, kOAuthStateLifetimeSeconds, context.request));
    return response;
}

http::Response pod_callback(RequestContext& context, const std::string& pod) {
    const std::string token = query_value(context, "token");
    if (token.empty()) {
        throw errors::Error(errors::Code::kMissingToken);
    }
    const std::string state = query_value(context, "state");
    if (state.empty()) {
        throw errors::Error(errors::Code::kInvalidState, {}, "pod callback without state");
    }
    if (!auth::cookie_equals(context.request, auth::CookieId::kPodLogin, state)) {
        throw errors::Error(
            errors::Code::kInvalidState, {}, "pod callback state is not this browser's login");
    }
    // The state is spent once it matched, whatever the token turns out to be. A mismatch leaves
    // the cookie alone, so a forged callback cannot break the browser's own login in progress.
    std::string cleared = auth::expired_cookie(auth::CookieId::kPodLogin, context.request);
    try {
        http::Response response = accept_pod_token(context, pod, token);
        response.set_header("Set-Cookie", std::move(cleared));
        return response;
    } catch (errors::Error& error) {
        error.with_header("Set-Cookie", std::move(cleared));
        throw;
    }
}

}  // namespace webpods::handlers
