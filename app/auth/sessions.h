// Browser sessions on the main domain (SPEC §3, §4): the session cookie, the key stored for it,
// sliding expiry; and the state cookie that binds a login to its browser (SPEC §9). Rows live in
// store/sessions.h and store/oauth_states.h; the routes are in handlers/sessions.h and login.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "http/request.h"
#include "store/sessions.h"

namespace webpods::auth {

inline constexpr long long kSessionLifetimeSeconds = 7LL * 24 * 60 * 60;  // sliding

// The key stored for a session cookie value: hex HMAC-SHA256(sessionSecret, value). Throws
// errors::Error(kInternal) if OpenSSL fails.
std::string session_key(const config::Config& config, std::string_view cookie_value);

// The stored key of the request's session cookie, when it carries a well-formed one (64
// lowercase hex digits); nullopt otherwise.
std::optional<std::string> session_key_of(const config::Config& config,
                                          const http::Request& request);

// Starts a session for user_id (an existing user), first deleting the browser's previous one.
// Returns the Set-Cookie value of the new session cookie.
std::string start_session(store::Tx& tx,
                          const config::Config& config,
                          const http::Request& request,
                          const std::string& user_id);

// A live session found by touch_session, and the Set-Cookie value that slides the browser's
// cookie forward with it.
struct TouchedSession {
    store::SessionOwner owner;
    std::string set_cookie;
};

// The browser's live session with its expiry pushed to now + kSessionLifetimeSeconds; nullopt
// when the request has no session cookie, or its session is unknown or expired.
std::optional<TouchedSession> touch_session(store::Tx& tx,
                                            const config::Config& config,
                                            const http::Request& request);

// Deletes the browser's session, if it has one.
void end_session(store::Tx& tx, const config::Config& config, const http::Request& request);

// A provider login begun by this browser (SPEC §9): the Set-Cookie value of its state cookie (a
// fresh 256-bit secret, alive lifetime_seconds) and the key to store with the OAuth state,
// session_key() of the secret, so the table holds nothing a browser could replay.
struct LoginBinding {
    std::string key;
    std::string set_cookie;
};
LoginBinding bind_login(const config::Config& config,
                        const http::Request& request,
                        long long lifetime_seconds);

// Whether the request carries the state cookie whose key is stored_key (compared in constant
// time). False without the cookie or with an empty stored_key.
bool is_bound_login(const config::Config& config,
                    const http::Request& request,
                    std::string_view stored_key);

}  // namespace webpods::auth
