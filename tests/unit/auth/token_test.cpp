// Unit tests for auth/token: HS256 JWT signing, verification, and the order of its failures.
#include "auth/token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "errors/errors.h"

namespace webpods::auth {
namespace {

constexpr std::int64_t kNow = 1700000100;
constexpr const char* kSecret = "test-secret-do-not-use";
constexpr const char* kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

Claims alice_claims() {
    Claims claims;
    claims.user_id = "6f1c2a4e-0b7d-4c1e-9a55-3d2f8e9b1c07";
    claims.auth_id = "auth:github:12345";
    claims.email = "alice@example.com";
    claims.name = "Alice";
    claims.provider = "github";
    claims.pod = "alice";
    claims.issued_at = 1700000000;
    claims.expires_at = 1700604800;
    return claims;
}

// Independent of token.cpp: OpenSSL's standard base64, then made URL-safe and unpadded.
std::string base64url(const std::string& bytes) {
    std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
    const int length = EVP_EncodeBlock(out.data(),
                                       reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<int>(bytes.size()));
    std::string text(out.begin(), out.begin() + length);
    while (!text.empty() && text.back() == '=') {
        text.pop_back();
    }
    for (char& c : text) {
        if (c == '+') {
            c = '-';
        }
        if (c == '/') {
            c = '_';
        }
    }
    return text;
}

// A token with exactly these header and payload bytes, correctly signed with HMAC-SHA256.
std::string hand_signed(const std::string& header,
                        const std::string& payload,
                        const std::string& secret = kSecret) {
    const std::string input = base64url(header) + "." + base64url(payload);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(),
         secret.data(),
         static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()),
         input.size(),
         digest.data(),
         &length);
    return input + "." +
           base64url(std::string(reinterpret_cast<const char*>(digest.data()), length));
}

std::string payload_with(const std::string& iat_and_exp) {
    return R"({"user_id":"u-1","auth_id":"auth:github:1",)" + iat_and_exp + "}";
}

bool is_invalid_token(const errors::Error& error) {
    return error.kind() == errors::Kind::kUnauthenticated &&
           error.public_code() == "INVALID_TOKEN" && error.message() == "Invalid token" &&
           !error.detail().empty();
}

bool is_token_expired(const errors::Error& error) {
    return error.kind() == errors::Kind::kUnauthenticated &&
           error.public_code() == "TOKEN_EXPIRED" && error.message() == "Token expired";
}

void check_fields_equal(const Claims& actual, const Claims& expected) {
    BOOST_TEST(actual.user_id == expected.user_id);
    BOOST_TEST(actual.auth_id == expected.auth_id);
    BOOST_TEST(actual.email == expected.email);
    BOOST_TEST(actual.name == expected.name);
    BOOST_TEST(actual.provider == expected.provider);
    BOOST_TEST((actual.pod == expected.pod));
    BOOST_TEST(actual.issued_at == expected.issued_at);
    BOOST_TEST(actual.expires_at == expected.expires_at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_token)

BOOST_AUTO_TEST_CASE(round_trip_keeps_every_claim_of_a_pod_token) {
    Claims claims = alice_claims();
    claims.name = "Al \"Ali\" O\\N\xc3\xa9il\n\x01";  // escaping and UTF-8 survive
    check_fields_equal(verify_token(sign_token(claims, kSecret), kSecret, kNow), claims);
}

BOOST_AUTO_TEST_CASE(round_trip_keeps_a_global_token_without_pod) {
    Claims claims = alice_claims();
    claims.pod.reset();
    const std::string token = sign_token(claims, kSecret);
    const Claims verified = verify_token(token, kSecret, kNow);
    BOOST_TEST(!verified.pod.has_value());
    check_fields_equal(verified, claims);
}

// Expected token computed independently with Python 3:
//   payload = json.dumps({...same claims, keys in order user_id, auth_id, email, name, provider,
//             pod, iat, exp...}, separators=(',', ':'), ensure_ascii=False)
//   signing_input = b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + b64url(payload)
//   signature = b64url(hmac.new(b"test-secret-do-not-use", signing_input, hashlib.sha256))
// where b64url is base64.urlsafe_b64encode with '=' stripped.
BOOST_AUTO_TEST_CASE(signing_fixed_claims_gives_the_known_token) {
    Claims claims = alice_claims();
    claims.name = "Al \"Ali\" O\\N\xc3\xa9il\n\x01";
    const std::string expected =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJ1c2VyX2lkIjoiNmYxYzJhNGUtMGI3ZC00YzFlLTlhNTUtM2QyZjhlOWIxYzA3IiwiYXV0aF9pZCI6ImF1dGg6Z2"
        "l0aHViOjEyMzQ1IiwiZW1haWwiOiJhbGljZUBleGFtcGxlLmNvbSIsIm5hbWUiOiJBbCBcIkFsaVwiIE9cXE7DqWls"
        "XG5cdTAwMDEiLCJwcm92aWRlciI6ImdpdGh1YiIsInBvZCI6ImFsaWNlIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOj"
        "E3MDA2MDQ4MDB9."
        "ets3L52Xzr6yScrz6BfpASpqLaY-KfNoK5bVQMrO4pA";
    BOOST_TEST(sign_token(claims, kSecret) == expected);
}

BOOST_AUTO_TEST_CASE(changed_payload_fails_as_invalid_token) {
    const std::string token = sign_token(alice_claims(), kSecret);
    Claims mallory = alice_claims();
    mallory.user_id = "00000000-0000-0000-0000-000000000000";
    const std::string forged = sign_token(mallory, "another secret");
    // Alice's header and signature around Mallory's payload.
    const std::string tampered =
        token.substr(0, token.find('.')) +
        forged.substr(forged.find('.'), forged.rfind('.') - forged.find('.')) +
        token.substr(token.rfind('.'));
    BOOST_CHECK_EXCEPTION(verify_token(tampered, kSecret, kNow), errors::Error, is_invalid_token);
}

BOOST_AUTO_TEST_CASE(token_signed_with_another_secret_fails_as_invalid_token) {
    const std::string token = sign_token(alice_claims(), "another secret");
    BOOST_CHECK_EXCEPTION(verify_token(token, kSecret, kNow), errors::Error, is_invalid_token);
}

BOOST_AUTO_TEST_CASE(alg_none_token_with_empty_signature_is_rejected) {
    const std::string token = base64url(R"({"alg":"none","typ":"JWT"})") + "." +
                              base64url(payload_with(R"("iat":1700000000,"exp":1700604800)")) + ".";
    BOOST_CHECK_EXCEPTION(verify_token(token, kSecret, kNow), errors::Error, is_invalid_token);
}

BOOST_AUTO_TEST_CASE(alg_other_than_hs256_is_rejected_even_with_a_valid_hs256_mac) {
    const std::string payload = payload_with(R"("iat":1700000000,"exp":1700604800)");
    for (const char* header : {R"({"alg":"HS512","typ":"JWT"})",
                               R"({"alg":"hs256"})",
                               R"({"typ":"JWT"})",
                               R"({"alg":"HS256","crit":["x"]})",
                               R"(["HS256"])"}) {
        BOOST_TEST_CONTEXT(header) {
            BOOST_CHECK_EXCEPTION(verify_token(hand_signed(header, payload), kSecret, kNow),
                                  errors::Error,
                                  is_invalid_token);
        }
    }
    // Control: the same payload under the HS256 header is accepted.
    BOOST_TEST(verify_token(hand_signed(kHs256Header, payload), kSecret, kNow).user_id == "u-1");
}

BOOST_AUTO_TEST_CASE(token_at_or_after_exp_fails_as_token_expired) {
    Claims claims = alice_claims();
    claims.expires_at = kNow;
    BOOST_CHECK_EXCEPTION(
        verify_token(sign_token(claims, kSecret), kSecret, kNow), errors::Error, is_token_expired);
    claims.expires_at = kNow + 1;
    BOOST_TEST(verify_token(sign_token(claims, kSecret), kSecret, kNow).expires_at == kNow + 1);
}

BOOST_AUTO_TEST_CASE(expired_token_with_bad_signature_fails_as_invalid_token_first) {
    Claims claims = alice_claims();
    claims.expires_at = kNow - 1;
    const std::string token = sign_token(claims, "another secret");
    BOOST_CHECK_EXCEPTION(verify_token(token, kSecret, kNow), errors::Error, is_invalid_token);
}

BOOST_AUTO_TEST_CASE(expired_token_without_user_id_fails_as_token_expired_first) {
    const std::string token = hand_signed(kHs256Header, R"({"iat":1,"exp":2})");
    BOOST_CHECK_EXCEPTION(verify_token(token, kSecret, kNow), errors::Error, is_token_expired);
}

BOOST_AUTO_TEST_CASE(iat_or_exp_not_an_integer_fails_as_invalid_token) {
    for (const char* times : {R"("iat":1700000000,"exp":"1800000000")",
                              R"("iat":1700000000,"exp":1.8e9)",
                              R"("iat":1700000000,"exp":1800000000.0)",
                              R"("iat":1700000000,"exp":true)",
                              R"("iat":1700000000,"exp":null)",
                              R"("iat":1700000000,"exp":18446744073709551615)",
                              R"("iat":1700000000,"exp":99999999999999999999)",
                              R"("iat":1700000000)",
                              R"("iat":"1700000000","exp":1800000000)",
                              R"("exp":1800000000)"}) {
        BOOST_TEST_CONTEXT(times) {
            BOOST_CHECK_EXCEPTION(
                verify_token(hand_signed(kHs256Header, payload_with(times)), kSecret, kNow),
                errors::Error,
                is_invalid_token);
        }
    }
}

BOOST_AUTO_TEST_CASE(missing_or_non_string_identity_claims_fail_as_invalid_token) {
    const std::string times = R"("iat":1700000000,"exp":1800000000)";
    for (const std::string& payload :
         {R"({"auth_id":"auth:github:1",)" + times + "}",
          R"({"user_id":"","auth_id":"auth:github:1",)" + times + "}",
          R"({"user_id":7,"auth_id":"auth:github:1",)" + times + "}",
          R"({"user_id":"u-1",)" + times + "}",
          R"({"user_id":"u-1","auth_id":null,)" + times + "}",
          R"({"user_id":"u-1","auth_id":"a","pod":5,)" + times + "}",
          R"({"user_id":"u-1","auth_id":"a","email":[],)" + times + "}",
          std::string("[1,2]")}) {
        BOOST_TEST_CONTEXT(payload) {
            BOOST_CHECK_EXCEPTION(verify_token(hand_signed(kHs256Header, payload), kSecret, kNow),
                                  errors::Error,
                                  is_invalid_token);
        }
    }
}

BOOST_AUTO_TEST_CASE(token_without_exactly_three_parts_fails_as_invalid_token) {
    const std::string token = sign_token(alice_claims(), kSecret);
    const std::string two_parts = token.substr(0, token.rfind('.'));
    for (const std::string& bad :
         {std::string(), two_parts, token + ".", token + ".e30", std::string("..")}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_CHECK_EXCEPTION(
                verify_token(bad, kSecret, kNow), errors::Error, is_invalid_token);
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_base64url_or_trailing_bytes_fail_as_invalid_token) {
    const std::string token = sign_token(alice_claims(), kSecret);
    // A 32-byte MAC is 43 characters whose last one carries two zero padding bits; setting one
    // decodes to the same MAC bytes, and must not be accepted as a second spelling of the token.
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string padding_bits_set = token;
    padding_bits_set.back() = alphabet[alphabet.find(token.back()) | 1U];
    for (const std::string& bad : {token + " ",
                                   token + "\n",
                                   " " + token,
                                   token + "=",
                                   token + "A",
                                   "*&^." + token.substr(token.find('.') + 1),
                                   "eyJhbGciOiJIUzI1NiJ9+/." + token.substr(token.find('.') + 1),
                                   padding_bits_set}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_CHECK_EXCEPTION(
                verify_token(bad, kSecret, kNow), errors::Error, is_invalid_token);
        }
    }
}

BOOST_AUTO_TEST_CASE(header_that_is_not_json_fails_as_invalid_token) {
    const std::string payload = payload_with(R"("iat":1700000000,"exp":1800000000)");
    for (const char* header : {"not json", R"({"alg":"HS256"} x)", "", R"({"alg":"HS256",})"}) {
        BOOST_TEST_CONTEXT(header) {
            BOOST_CHECK_EXCEPTION(verify_token(hand_signed(header, payload), kSecret, kNow),
                                  errors::Error,
                                  is_invalid_token);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace webpods::auth
