// Session cookies: the key stored for a cookie value, and which cookie values count at all.
#include "auth/sessions.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace auth = webpods::auth;
namespace http = webpods::http;

namespace {

constexpr const char* kCookieValue =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

webpods::config::Config config_with_secret() {
    webpods::config::Config config;
    config.session_secret = "session-secret";
    return config;
}

http::Request request_with_cookie(bool https, const std::string& cookie_header) {
    http::Request request;
    request.https = https;
    request.headers["cookie"] = cookie_header;
    return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_sessions)

// Known answer: printf %s VALUE | openssl dgst -sha256 -hmac session-secret
BOOST_AUTO_TEST_CASE(stored_key_is_hex_hmac_sha256_of_the_cookie_value) {
    BOOST_TEST(auth::session_key(config_with_secret(), kCookieValue) ==
               "c51ad08c0be77cce40d1329b0e6cfa556dfd1f8e181ef2ec38b0d843a7e9b688");
}

BOOST_AUTO_TEST_CASE(well_formed_cookie_gives_its_key_under_this_requests_name) {
    const auto config = config_with_secret();
    const std::string key = auth::session_key(config, kCookieValue);
    BOOST_TEST(auth::session_key_of(
                   config, request_with_cookie(false, std::string("webpods.sid=") + kCookieValue))
                   .value_or("") == key);
    BOOST_TEST(
        auth::session_key_of(
            config, request_with_cookie(true, std::string("__Host-webpods.sid=") + kCookieValue))
            .value_or("") == key);
    BOOST_TEST(!auth::session_key_of(
                    config, request_with_cookie(true, std::string("webpods.sid=") + kCookieValue))
                    .has_value());
}

BOOST_AUTO_TEST_CASE(malformed_cookie_values_are_no_session) {
    const auto config = config_with_secret();
    const std::string value(kCookieValue);
    for (const std::string& bad : {std::string(),
                                   value.substr(1),
                                   value + "0",
                                   "0123456789ABCDEF" + value.substr(16),
                                   "g" + value.substr(1)}) {
        BOOST_TEST(!auth::session_key_of(config, request_with_cookie(false, "webpods.sid=" + bad))
                        .has_value(),
                   bad);
    }
}

BOOST_AUTO_TEST_CASE(login_binding_stores_the_key_of_the_state_cookie_secret) {
    const auto config = config_with_secret();
    const auth::LoginBinding binding = auth::bind_login(config, http::Request{}, 600);
    const std::string prefix = "webpods.state=";
    BOOST_TEST_REQUIRE(binding.set_cookie.rfind(prefix, 0) == 0);
    const std::string secret =
        binding.set_cookie.substr(prefix.size(), binding.set_cookie.find(';') - prefix.size());
    BOOST_TEST(secret.size() == 43U);
    BOOST_TEST(binding.key == auth::session_key(config, secret));
    BOOST_TEST(binding.set_cookie.find("; Max-Age=600; HttpOnly; SameSite=Lax") !=
               std::string::npos);
    BOOST_TEST(auth::bind_login(config, http::Request{}, 600).key != binding.key);
}

BOOST_AUTO_TEST_CASE(only_the_browser_holding_the_secret_is_bound) {
    const auto config = config_with_secret();
    const std::string key = auth::session_key(config, "secret");
    BOOST_TEST(
        auth::is_bound_login(config, request_with_cookie(false, "webpods.state=secret"), key));
    BOOST_TEST(auth::is_bound_login(
        config, request_with_cookie(true, "__Host-webpods.state=secret"), key));
    BOOST_TEST(
        !auth::is_bound_login(config, request_with_cookie(true, "webpods.state=secret"), key));
    BOOST_TEST(
        !auth::is_bound_login(config, request_with_cookie(false, "webpods.state=other"), key));
    BOOST_TEST(!auth::is_bound_login(config, request_with_cookie(false, "webpods.state="), key));
    BOOST_TEST(!auth::is_bound_login(config, request_with_cookie(false, "webpods.sid=x"), key));
    BOOST_TEST(
        !auth::is_bound_login(config, request_with_cookie(false, "webpods.state=secret"), ""));
}

BOOST_AUTO_TEST_SUITE_END()
