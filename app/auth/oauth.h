// OAuth 2.0 / OpenID Connect client protocol: PKCE, the authorization URL, and what we ask a
// provider (code exchange, userinfo, email list). Transport in auth/http_client.h, discovery in
// auth/oidc_discovery.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/config.h"

namespace webpods::auth {

// The endpoints of a provider: the configured URLs, completed by OpenID Connect discovery when
// the provider has an issuer. email is empty when the provider has no emailUrl.
struct OAuthEndpoints {
    std::string authorization;
    std::string token;
    std::string userinfo;
    std::string email;
};

// Who the provider says the user is. user_id is never empty.
struct OAuthIdentity {
    std::string user_id;
    std::string email;
    std::string name;
};

// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding (43 characters for 32
// bytes: a valid PKCE verifier, RFC 7636 §4.1). Throws errors::Error(kInternal) if RAND_bytes
// fails.
std::string random_url_token(std::size_t bytes);

// `bytes` random bytes as lowercase hex. Throws like random_url_token.
std::string random_hex(std::size_t bytes);

// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding.
std::string pkce_challenge(std::string_view verifier);

// Percent-encodes everything but the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view text);

// Where to send the browser: the authorization endpoint with response_type=code, client_id,
// redirect_uri, scope (when configured), state, code_challenge and code_challenge_method=S256,
// appended with '&' when the endpoint already has a query.
std::string authorization_url(const config::OAuthProvider& provider,
                              const OAuthEndpoints& endpoints,
                              const std::string& redirect_uri,
                              const std::string& state,
                              const std::string& code_challenge);

// The provider's endpoints: the configured URLs, and for an issuer lacking some of them those of
// its discovery document (auth/oidc_discovery.h); configured URLs take precedence. Thread-safe.
// Throws errors::Error(kUnavailable, "OAUTH_ERROR") when discovery fails or an endpoint is not an
// http(s) URL.
OAuthEndpoints resolve_endpoints(const config::OAuthProvider& provider);

// Exchanges an authorization code for an access token (client_secret_post, with the PKCE
// verifier). Throws errors::Error "OAUTH_ERROR": kInvalidInput when the provider refuses the
// code (a 4xx answer such as invalid_grant), kUnavailable for any other failure.
std::string exchange_code(const config::OAuthProvider& provider,
                          const OAuthEndpoints& endpoints,
                          const std::string& code,
                          const std::string& code_verifier,
                          const std::string& redirect_uri);

// Reads the userinfo endpoint with the access token and, when the answer has no email and the
// provider has an email endpoint, the email list. Throws errors::Error(kUnavailable,
// "OAUTH_ERROR").
OAuthIdentity fetch_identity(const config::OAuthProvider& provider,
                             const OAuthEndpoints& endpoints,
                             const std::string& access_token);

// The identity in a userinfo JSON object: the user id from userIdField (a string, or an integer
// such as GitHub's numeric id, written in decimal), falling back to "sub"; the email from
// emailField; the name from nameField, falling back to "login" and "preferred_username". Missing
// or null email and name give empty strings. Throws errors::Error(kUnavailable, "OAUTH_ERROR") when
// the text is not a JSON object or has no usable user id.
OAuthIdentity parse_userinfo(const config::OAuthProvider& provider, std::string_view json);

// The address to use from an email list answer (GitHub's /user/emails): an array of objects with
// "email", "primary" and "verified", or of strings. Prefers primary and verified, then verified,
// then (for plain strings) the first. Empty when none qualifies or the text is not such an array.
std::string pick_email(std::string_view json);

}  // namespace webpods::auth
