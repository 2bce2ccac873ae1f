// Who is calling: the bearer token (or cookie) of a request, verified and checked against the
// users table.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "auth/token.h"
#include "http/request.h"
#include "store/database.h"
#include "store/users.h"

namespace webpods::auth {

struct Principal {
    std::string user_id;  // uuid
    std::string auth_id;
    std::string email;
    std::string name;
    std::string provider;
    std::optional<std::string> pod;  // the pod the token is bound to, if any
    std::int64_t expires_at = 0;     // the token's exp, Unix seconds
};

// Users are never deleted, so a (user_id, auth_id) pair once found stays valid; each worker
// remembers the pairs it has checked and asks PostgreSQL only about new ones.
class KnownUsers {
public:
    bool contains(const std::string& user_id, const std::string& auth_id) const;
    void remember(const std::string& user_id, const std::string& auth_id);

private:
    static constexpr std::size_t kMaxRemembered = 100000;
    mutable std::mutex mutex_;
    std::set<std::pair<std::string, std::string>> pairs_;
};

// Which cookie may carry the token (see auth/cookies.h): a pod reads its pod token cookie, the
// main domain its token cookie.
enum class TokenCookie { kPodToken, kMainToken };

// The raw token of a request: "Authorization: Bearer <jwt>", a bare Authorization value, or the
// cookie; nullopt when the request carries none.
std::optional<std::string> find_token(const http::Request& request, TokenCookie cookie);

// Verifies the request's token (SPEC §4 order: INVALID_TOKEN, TOKEN_EXPIRED, then the user
// check); nullopt for an anonymous request. Throws errors::Error(kUnauthenticated).
std::optional<Principal> authenticate(const http::Request& request,
                                      TokenCookie cookie,
                                      const std::string& jwt_secret,
                                      store::Tx& tx,
                                      KnownUsers& known_users);

// A signed token for `user`, bound to `pod` when given, valid for lifetime_seconds from now.
std::string issue_token(const store::User& user,
                        const std::optional<std::string>& pod,
                        const std::string& jwt_secret,
                        std::int64_t lifetime_seconds);

}  // namespace webpods::auth
