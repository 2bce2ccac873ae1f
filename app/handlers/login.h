// Login with OAuth 2.0 (SPEC §3): the /auth/* routes of the main domain that run the provider
// flow, and a pod's /login and /auth/callback that give single sign-on across pods.
#pragma once

#include <string>

#include "handlers/context.h"
#include "http/response.h"

namespace webpods::handlers {

inline constexpr long long kOAuthStateLifetimeSeconds = 10LL * 60;

// Every handler below throws errors::Error with the SPEC codes named beside it; provider failures
// are OAUTH_ERROR (see auth/oauth.h), database failures as in store/.

// GET /auth/providers: {"providers":[{"id","name","login_url"}]}.
http::Response list_providers(RequestContext& context);

// GET /auth/{provider}[?redirect=/x]: 302 to the provider with PKCE and a fresh state, and sets
// the state cookie that binds the login to this browser (SPEC §9, auth::bind_login).
// INVALID_PROVIDER.
http::Response start_login(RequestContext& context, const std::string& provider_id);

// GET /auth/{provider}/callback?code&state: finishes the login, starts a session (see
// auth/sessions.h) and 302s to the pod's /auth/callback (with the pod's state) or to
// /auth/success. Every answer clears the state cookie. INVALID_PROVIDER, INVALID_CALLBACK (before
// any cookie is looked at), INVALID_STATE (unknown, expired, used, another provider's, or not
// begun by this browser).
http::Response finish_login(RequestContext& context, const std::string& provider_id);

// GET /auth/authorize?pod=alice[&redirect=/x][&state=s][&provider=id]: with a session straight
// back to the pod's /auth/callback with a pod token and the pod's state, else the login flow
// (the default provider unless one is named), which remembers the state for the callback.
// MISSING_POD, INVALID_POD_ID, INVALID_STATE (a state over 128 characters or not URL-safe),
// INVALID_PROVIDER.
http::Response authorize_pod(RequestContext& context);

// GET /auth/success?token=..[&redirect=/x]: an HTML page showing the token, escaped.
// MISSING_TOKEN.
http::Response login_success(RequestContext& context);

// On a pod: GET /login[?redirect=/x]: sets the login cookie (a fresh random value, 10 minutes)
// and 302s to the main domain's /auth/authorize for this pod with that value as state.
http::Response pod_login(RequestContext& context, const std::string& pod);

// On a pod: GET /auth/callback?token&state&redirect: checks that state is the browser's login
// cookie and the token is for this pod, clears the login cookie, sets the pod token cookie and
// 302s to the redirect. In this order: MISSING_TOKEN, INVALID_STATE (no state, or not the
// cookie's), then INVALID_TOKEN, TOKEN_EXPIRED, POD_MISMATCH.
http::Response pod_callback(RequestContext& context, const std::string& pod);

}  // namespace webpods::handlers
