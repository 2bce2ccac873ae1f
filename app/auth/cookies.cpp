// Cookie names and Set-Cookie values, built the same way for every cookie of ours.
#include "auth/cookies.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace webpods::auth {

namespace {

// RFC 6265bis §4.1.3.2: a __Host- cookie is accepted only with Secure, Path=/ and no Domain.
constexpr std::string_view kHostPrefix = "__Host-";

std::string_view bare_name(CookieId id) {
    switch (id) {
        case CookieId::kSession:
            return "webpods.sid";
        case CookieId::kMainToken:
            return "token";
        case CookieId::kPodToken:
            return "pod_token";
        case CookieId::kLoginState:
            return "webpods.state";
        case CookieId::kPodLogin:
            return "webpods.login";
    }
    return {};
}

}  // namespace

std::string cookie_name(CookieId id, const http::Request& request) {
    std::string name = request.https ? std::string(kHostPrefix) : std::string();
    return name.append(bare_name(id));
}

std::string set_cookie(CookieId id,
                       std::string_view value,
                       long long max_age_seconds,
                       const http::Request& request) {
    std::string text = cookie_name(id, request) + "=" + std::string(value) +
                       "; Path=/; Max-Age=" + std::to_string(std::max(0LL, max_age_seconds)) +
                       "; HttpOnly; SameSite=Lax";
    if (request.https) {
        text += "; Secure";
    }
    return text;
}

std::string expired_cookie(CookieId id, const http::Request& request) {
    return set_cookie(id, "", 0, request);
}

std::optional<std::string> read_cookie(const http::Request& request, CookieId id) {
    return request.cookie(cookie_name(id, request));
}

bool cookie_equals(const http::Request& request, CookieId id, std::string_view expected) {
    const std::optional<std::string> value = read_cookie(request, id);
    return value && !expected.empty() && equal_in_constant_time(*value, expected);
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace webpods::auth
