// Token extraction and verification against the users table.
#include "auth/principal.h"

#include <ctime>

#include "auth/cookies.h"
#include "errors/errors.h"
#include "store/users.h"

namespace webpods::auth {

bool KnownUsers::contains(const std::string& user_id, const std::string& auth_id) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return pairs_.count({user_id, auth_id}) > 0;
}

void KnownUsers::remember(const std::string& user_id, const std::string& auth_id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (pairs_.size() >= kMaxRemembered) {
        pairs_.clear();
    }
    pairs_.emplace(user_id, auth_id);
}

std::optional<std::string> find_token(const http::Request& request, TokenCookie cookie) {
    std::string_view authorization = request.header("authorization");
    if (!authorization.empty()) {
        static constexpr std::string_view kBearer = "Bearer ";
        if (authorization.substr(0, kBearer.size()) == kBearer) {
            authorization.remove_prefix(kBearer.size());
        }
        while (!authorization.empty() && authorization.front() == ' ') {
            authorization.remove_prefix(1);
        }
        return std::string(authorization);
    }
    return read_cookie(
        request, cookie == TokenCookie::kPodToken ? CookieId::kPodToken : CookieId::kMainToken);
}

std::optional<Principal> authenticate(const http::Request& request,
                                      TokenCookie cookie,
                                      const std::string& jwt_secret,
                                      store::Tx& tx,
                                      KnownUsers& known_users) {
    const std::optional<std::string> token = find_token(request, cookie);
    if (!token) {
        return std::nullopt;
    }
    Claims claims = verify_token(*token, jwt_secret, static_cast<std::int64_t>(std::time(nullptr)));
    if (!known_users.contains(claims.user_id, claims.auth_id)) {
        const auto user = store::find_user_by_id(tx, claims.user_id);
        if (!user || user->auth_id != claims.auth_id) {
            throw errors::Error(errors::Code::kInvalidToken, {}, "token names no existing user");
        }
        known_users.remember(claims.user_id, claims.auth_id);
    }
    return Principal{std::move(claims.user_id),
                     std::move(claims.auth_id),
                     std::move(claims.email),
                     std::move(claims.name),
                     std::move(claims.provider),
                     std::move(claims.pod),
                     claims.expires_at};
}

std::string issue_token(const store::User& user,
                        const std::optional<std::string>& pod,
                        const std::string& jwt_secret,
                        std::int64_t lifetime_seconds) {
    Claims claims;
    claims.user_id = user.id;
    claims.auth_id = user.auth_id;
    claims.email = user.email;
    claims.name = user.name;
    claims.provider = user.provider;
    claims.pod = pod;
    claims.issued_at = static_cast<std::int64_t>(std::time(nullptr));
    claims.expires_at = claims.issued_at + lifetime_seconds;
    return sign_token(claims, jwt_secret);
}

}  // namespace webpods::auth
