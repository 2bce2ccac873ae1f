// The pure parts of the OAuth client: PKCE, URL building, userinfo and email-list parsing.
#include "auth/oauth.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "errors/errors.h"

namespace auth = webpods::auth;
namespace errors = webpods::errors;
namespace config = webpods::config;

namespace {

config::OAuthProvider github_style() {
    config::OAuthProvider provider;
    provider.id = "github";
    provider.client_id = "client id/1";
    provider.scope = "read:user user:email";
    return provider;
}

bool is_oauth_error(const webpods::errors::Error& error) {
    return error.public_code() == "OAUTH_ERROR";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_oauth)

// Known answer computed independently: printf %s VERIFIER | openssl dgst -sha256 -binary | base64
// with + / turned into - _ and the padding dropped.
BOOST_AUTO_TEST_CASE(pkce_challenge_is_unpadded_base64url_of_sha256) {
    BOOST_TEST(auth::pkce_challenge("dBjftJeZ4CVP-mJ92VU8j4F3BsS6jAxRVj5C0lhoK5w") ==
               "SLQvYiulm_uIX-P6O6SKP10Xt_LlYGnGhNvb5wNLoBE");
    BOOST_TEST(auth::pkce_challenge("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

BOOST_AUTO_TEST_CASE(random_tokens_are_valid_verifiers_and_differ) {
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        const std::string token = auth::random_url_token(32);
        BOOST_TEST(token.size() == 43U);
        BOOST_TEST(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-_") == std::string::npos);
        seen.insert(token);
    }
    BOOST_TEST(seen.size() == 50U);
    const std::string hex = auth::random_hex(32);
    BOOST_TEST(hex.size() == 64U);
    BOOST_TEST(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(url_encode_keeps_only_unreserved_characters) {
    BOOST_TEST(auth::url_encode("aZ09-._~") == "aZ09-._~");
    BOOST_TEST(auth::url_encode("a b/c?d=e&f+\xc3\xa9") == "a%20b%2Fc%3Fd%3De%26f%2B%C3%A9");
}

BOOST_AUTO_TEST_CASE(authorization_url_carries_pkce_state_and_scope) {
    auth::OAuthEndpoints endpoints;
    endpoints.authorization = "https://idp.example/authorize";
    const std::string url = auth::authorization_url(
        github_style(), endpoints, "https://webpods.example/auth/github/callback", "st", "ch");
    BOOST_TEST(url ==
               "https://idp.example/authorize?response_type=code&client_id=client%20id%2F1"
               "&redirect_uri=https%3A%2F%2Fwebpods.example%2Fauth%2Fgithub%2Fcallback"
               "&scope=read%3Auser%20user%3Aemail&state=st&code_challenge=ch"
               "&code_challenge_method=S256");
    endpoints.authorization = "https://idp.example/authorize?tenant=x";
    config::OAuthProvider no_scope = github_style();
    no_scope.scope.clear();
    const std::string appended = auth::authorization_url(no_scope, endpoints, "r", "s", "c");
    BOOST_TEST(appended.rfind("https://idp.example/authorize?tenant=x&response_type=code", 0) ==
               0U);
    BOOST_TEST(appended.find("scope=") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(userinfo_numeric_id_is_written_in_decimal) {
    const auto identity = auth::parse_userinfo(
        github_style(), R"({"id":9007199254740993,"login":"octo","name":null,"email":null})");
    BOOST_TEST(identity.user_id == "9007199254740993");
    BOOST_TEST(identity.name == "octo");  // name null: the login stands in
    BOOST_TEST(identity.email.empty());
}

BOOST_AUTO_TEST_CASE(userinfo_falls_back_to_sub_and_reads_configured_fields) {
    config::OAuthProvider provider = github_style();
    provider.email_field = "mail";
    provider.name_field = "display";
    const auto identity = auth::parse_userinfo(
        provider, R"({"sub":"abc-123","mail":"a@example.com","display":"Ada","name":"x"})");
    BOOST_TEST(identity.user_id == "abc-123");
    BOOST_TEST(identity.email == "a@example.com");
    BOOST_TEST(identity.name == "Ada");
}

BOOST_AUTO_TEST_CASE(userinfo_without_usable_id_is_oauth_error) {
    for (const char* json : {R"({"login":"x"})",
                             R"({"id":""})",
                             R"({"id":true})",
                             R"({"id":1.5})",
                             R"({"id":"a\nb"})",
                             R"([1,2])",
                             "not json",
                             ""}) {
        BOOST_CHECK_EXCEPTION(
            auth::parse_userinfo(github_style(), json), webpods::errors::Error, is_oauth_error);
    }
}

BOOST_AUTO_TEST_CASE(email_list_prefers_primary_verified_then_verified) {
    BOOST_TEST(auth::pick_email(R"([{"email":"a@x","primary":false,"verified":true},
                                    {"email":"b@x","primary":true,"verified":true}])") == "b@x");
    BOOST_TEST(auth::pick_email(R"([{"email":"a@x","primary":true,"verified":false},
                                    {"email":"b@x","primary":false,"verified":true}])") == "b@x");
    BOOST_TEST(auth::pick_email(R"([{"email":"a@x","primary":true,"verified":false}])").empty());
    BOOST_TEST(auth::pick_email(R"(["first@x","second@x"])") == "first@x");
    BOOST_TEST(auth::pick_email(R"([{"email":"c@x"}])") == "c@x");
    BOOST_TEST(auth::pick_email(R"({"email":"a@x"})").empty());
    BOOST_TEST(auth::pick_email("[").empty());
}

BOOST_AUTO_TEST_SUITE_END()
