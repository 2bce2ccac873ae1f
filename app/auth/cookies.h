// Our cookies (SPEC §4): every name, the attributes they carry, and the __Host- prefix over https.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"

namespace webpods::auth {

enum class CookieId {
    kSession,     // webpods.sid: the browser's session on the main domain
    kMainToken,   // token: the global token on the main domain
    kPodToken,    // pod_token: a pod token on its pod
    kLoginState,  // webpods.state: binds a provider login to this browser, on the main domain
    kPodLogin,    // webpods.login: binds a pod's /login to its /auth/callback, on the pod
};

// The cookie's name for this request: over https "__Host-" and the bare name (so a sibling pod
// cannot plant it, the browser only accepts it Secure, host-only and with Path=/), over plain
// http the bare name.
std::string cookie_name(CookieId id, const http::Request& request);

// A Set-Cookie value: name=value; Path=/; Max-Age (negative becomes 0); HttpOnly; SameSite=Lax;
// Secure when the request came over https. Never a Domain, so the cookie stays on its host.
std::string set_cookie(CookieId id,
                       std::string_view value,
                       long long max_age_seconds,
                       const http::Request& request);

// A Set-Cookie value that makes the browser drop the cookie (empty, Max-Age=0).
std::string expired_cookie(CookieId id, const http::Request& request);

// The cookie's value in the request, read under this request's name only; nullopt when absent.
std::optional<std::string> read_cookie(const http::Request& request, CookieId id);

// Whether the request carries the cookie with exactly this value, compared in constant time (it
// holds a secret). False when the cookie is absent or expected is empty.
bool cookie_equals(const http::Request& request, CookieId id, std::string_view expected);

// a == b without an early exit on the first differing byte (CRYPTO_memcmp); only the lengths
// may show in the timing.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace webpods::auth
