// HS256 JSON Web Tokens: signing the claims of a session and verifying a presented token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace webpods::auth {

// The claims of a webpods token (SPEC.md section 4). Plain data; the caller decides lifetimes.
struct Claims {
    std::string user_id;  // uuid of the user
    std::string auth_id;  // auth:{provider}:{id}
    std::string email;
    std::string name;
    std::string provider;
    std::optional<std::string> pod;  // set for pod-bound tokens, empty for global ones
    std::int64_t issued_at = 0;      // iat, Unix seconds
    std::int64_t expires_at = 0;     // exp, Unix seconds
};

// Returns a compact JWS: base64url (no padding) of the header {"alg":"HS256","typ":"JWT"},
// of the payload, and of HMAC-SHA256(secret, header "." payload).
// The payload is compact JSON with keys in this fixed order, so tokens are reproducible:
//   user_id, auth_id, email, name, provider, pod (omitted when claims.pod is empty), iat, exp
// Strings escape '"', '\\' and control characters (\b \f \n \r \t, else \u00xx); other bytes,
// UTF-8 included, are copied as they are. iat and exp are JSON integers.
// Throws errors::Error(kInternal, "INTERNAL_ERROR") only if OpenSSL fails or the secret is
// longer than OpenSSL accepts.
std::string sign_token(const Claims& claims, const std::string& secret);

// Checks `token` against `secret` at time `now_unix` and returns its claims. Checks, in order:
//  1. shape: at most 8 KiB, exactly three '.'-separated parts of strict base64url without
//     padding (no whitespace, no other characters); the header a JSON object whose "alg" is
//     "HS256" ("none" and every other algorithm are refused; "typ" is not checked; a "crit"
//     header is refused, as we understand no extensions); the signature valid (compared in
//     constant time); the payload a JSON object with integer "iat" and "exp";
//  2. expiry: exp <= now_unix fails with "TOKEN_EXPIRED";
//  3. claims: "user_id" and "auth_id" non-empty strings; "email", "name", "provider" strings
//     when present (empty when absent); "pod" a string when present.
// Failures of 1 and 3 throw errors::Error(kUnauthenticated, "INVALID_TOKEN", "Invalid token",
// reason); 2 throws errors::Error(kUnauthenticated, "TOKEN_EXPIRED", "Token expired", reason).
// Throws nothing but errors::Error: library errors become INVALID_TOKEN (parse errors) or
// kInternal "INTERNAL_ERROR" (OpenSSL failure, out of memory).
// Does not check that the user exists or the pod binding; the caller does (SPEC.md section 4).
Claims verify_token(std::string_view token, const std::string& secret, std::int64_t now_unix);

}  // namespace webpods::auth
