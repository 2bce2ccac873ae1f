// Session cookies, login state cookies and the keys stored for them (OpenSSL HMAC).
#include "auth/sessions.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>

#include "auth/cookies.h"
#include "auth/oauth.h"
#include "encoding/encoding.h"
#include "errors/errors.h"

namespace webpods::auth {

namespace {

constexpr std::size_t kCookieBytes = 32;  // 256 bits from the CSPRNG

}  // namespace

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
        throw errors::Error(errors::Code::kInternalError, {}, "HMAC failed");
    }
    return encoding::hex_encode({reinterpret_cast<const char*>(digest.data()), size});
}

std::optional<std::string> session_key_of(const config::Config& config,
                                          const http::Request& request) {
    const std::optional<std::string> value = read_cookie(request, CookieId::kSession);
    if (!value || value->size() != 2 * kCookieBytes ||
        !std::all_of(value->begin(), value->end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        })) {
        return std::nullopt;
    }
    return session_key(config, *value);
}

std::string start_session(store::Tx& tx,
                          const config::Config& config,
                          const http::Request& request,
                          const std::string& user_id) {
    // A new login replaces the browser's previous session rather than leaving it behind.
    end_session(tx, config, request);
    const std::string cookie_value = random_hex(kCookieBytes);
    store::create_session(tx, session_key(config, cookie_value), user_id, kSessionLifetimeSeconds);
    return set_cookie(CookieId::kSession, cookie_value, kSessionLifetimeSeconds, request);
}

std::optional<TouchedSession> touch_session(store::Tx& tx,
                                            const config::Config& config,
                                            const http::Request& request) {
    const std::optional<std::string> key = session_key_of(config, request);
    if (!key) {
        return std::nullopt;
    }
    std::optional<store::SessionOwner> owner =
        store::touch_session(tx, *key, kSessionLifetimeSeconds);
    if (!owner) {
        return std::nullopt;
    }
    return TouchedSession{std::move(*owner),
                          set_cookie(CookieId::kSession,
                                     *read_cookie(request, CookieId::kSession),
                                     kSessionLifetimeSeconds,
                                     request)};
}

void end_session(store::Tx& tx, const config::Config& config, const http::Request& request) {
    if (const std::optional<std::string> key = session_key_of(config, request)) {
        store::delete_session(tx, *key);
    }
}

LoginBinding bind_login(const config::Config& config,
                        const http::Request& request,
                        long long lifetime_seconds) {
    const std::string secret = random_url_token(kCookieBytes);
    return LoginBinding{
        session_key(config, secret),
        set_cookie(CookieId::kLoginState, secret, lifetime_seconds, request),
    };
}

bool is_bound_login(const config::Config& config,
                    const http::Request& request,
                    std::string_view stored_key) {
    const std::optional<std::string> secret = read_cookie(request, CookieId::kLoginState);
    return secret && !secret->empty() && !stored_key.empty() &&
           equal_in_constant_time(session_key(config, *secret), stored_key);
}

}  // namespace webpods::auth
