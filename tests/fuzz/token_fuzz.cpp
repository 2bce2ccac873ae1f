// Fuzzes JWT verification with a fixed secret, and sign_token/verify_token round trips.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/token.h"
#include "encoding/utf8.h"
#include "errors/errors.h"
#include "property.h"

namespace {

namespace auth = webpods::auth;
namespace encoding = webpods::encoding;
namespace errors = webpods::errors;
using webpods::fuzz::expect;

// token_seeds.py signs the seeds in corpus/token_fuzz with this secret.
constexpr std::string_view kSecret = "webpods-fuzz-secret";
constexpr std::int64_t kNow = 1700000000;  // 2023-11-14; seed tokens expire in 2100

// Poco 1.11's NumberParser reads negative integers through a double, so below -2^53 a time
// comes back rounded to the nearest double; such times are long expired or meaningless anyway.
bool same_time(std::int64_t signed_time, std::int64_t verified_time) {
    constexpr std::int64_t kExactBelow = -(std::int64_t{1} << 53);
    if (signed_time < kExactBelow) {
        return static_cast<double>(signed_time) == static_cast<double>(verified_time);
    }
    return signed_time == verified_time;
}

bool same_claims(const auth::Claims& a, const auth::Claims& b) {
    return a.user_id == b.user_id && a.auth_id == b.auth_id && a.email == b.email &&
           a.name == b.name && a.provider == b.provider && a.pod == b.pod &&
           same_time(a.issued_at, b.issued_at) && same_time(a.expires_at, b.expires_at);
}

bool has_utf8_strings(const auth::Claims& claims) {
    return encoding::is_valid_utf8(claims.user_id) && encoding::is_valid_utf8(claims.auth_id) &&
           encoding::is_valid_utf8(claims.email) && encoding::is_valid_utf8(claims.name) &&
           encoding::is_valid_utf8(claims.provider) &&
           encoding::is_valid_utf8(claims.pod.value_or(""));
}

std::string_view without_trailing_nuls(std::string_view key) {
    while (!key.empty() && key.back() == '\0') key.remove_suffix(1);
    return key;
}

// verify_token throws only errors::Error, and INTERNAL_ERROR only when OpenSSL fails.
void expect_client_error(const errors::Error& error) {
    expect(error.kind() == errors::Kind::kUnauthenticated,
           "verify_token threw a non-401 error (library exception escaped as internal?)");
    expect(error.public_code() == "INVALID_TOKEN" || error.public_code() == "TOKEN_EXPIRED",
           "verify_token threw an unexpected code");
}

// The fuzzer's bytes as a presented token.
void check_presented(std::string_view token) {
    auth::Claims claims;
    try {
        claims = auth::verify_token(token, std::string(kSecret), kNow);
    } catch (const errors::Error& error) {
        expect_client_error(error);
        return;
    }
    expect(!claims.user_id.empty() && !claims.auth_id.empty(), "accepted without user or auth id");
    expect(claims.expires_at > kNow, "accepted an expired token");
    // What we accepted, we sign again the same way (unless Poco decoded to non-UTF-8).
    if (has_utf8_strings(claims)) {
        const auth::Claims again = auth::verify_token(
            auth::sign_token(claims, std::string(kSecret)), std::string(kSecret), kNow);
        expect(same_claims(claims, again), "re-signed accepted claims verify differently");
    }
}

// Claims and a secret made from the fuzzer's bytes, signed, then verified.
void check_round_trip(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider provider(data, size);
    auth::Claims claims;
    claims.user_id = provider.ConsumeRandomLengthString(64);
    claims.auth_id = provider.ConsumeRandomLengthString(64);
    claims.email = provider.ConsumeRandomLengthString(64);
    claims.name = provider.ConsumeRandomLengthString(64);
    claims.provider = provider.ConsumeRandomLengthString(16);
    if (provider.ConsumeBool()) claims.pod = provider.ConsumeRandomLengthString(64);
    claims.issued_at = provider.ConsumeIntegral<std::int64_t>();
    claims.expires_at = provider.ConsumeIntegral<std::int64_t>();
    const std::string secret = provider.ConsumeRandomLengthString(80);

    const std::string token = auth::sign_token(claims, secret);
    const bool well_formed =
        has_utf8_strings(claims) && !claims.user_id.empty() && !claims.auth_id.empty();
    try {
        const auth::Claims verified = auth::verify_token(token, secret, kNow);
        expect(claims.expires_at > kNow, "round trip: accepted an expired token");
        expect(same_claims(claims, verified), "round trip: claims changed");
    } catch (const errors::Error& error) {
        expect_client_error(error);
        if (claims.expires_at <= kNow) {
            // Expiry is checked after parsing but before the claims, so it wins over a missing
            // user id, not over bytes the JSON parser refuses.
            expect(error.public_code() == "TOKEN_EXPIRED" || !has_utf8_strings(claims),
                   "round trip: expired token not TOKEN_EXPIRED");
        } else {
            expect(!well_formed, "round trip: a well-formed signed token was refused");
        }
    }
    // HMAC zero-pads its key, so secrets differing only in trailing NULs are the same key.
    if (without_trailing_nuls(secret) != kSecret) {
        try {
            auth::verify_token(token, std::string(kSecret), kNow);
            expect(false, "a token verified under a different secret");
        } catch (const errors::Error& error) {
            expect_client_error(error);
        }
    }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check_presented(webpods::fuzz::text_of(data, size));
    check_round_trip(data, size);
    return 0;
}
