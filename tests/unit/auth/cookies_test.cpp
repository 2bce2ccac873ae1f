// Our cookies (SPEC §4): names, attributes, and the __Host- prefix that https requires.
#include "auth/cookies.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace auth = webpods::auth;
namespace http = webpods::http;

namespace {

http::Request request_with(bool https, std::string cookie_header = {}) {
    http::Request request;
    request.https = https;
    if (!cookie_header.empty()) {
        request.headers["cookie"] = std::move(cookie_header);
    }
    return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_cookies)

BOOST_AUTO_TEST_CASE(names_carry_the_host_prefix_only_over_https) {
    const http::Request plain = request_with(false);
    const http::Request secure = request_with(true);
    BOOST_TEST(auth::cookie_name(auth::CookieId::kSession, plain) == "webpods.sid");
    BOOST_TEST(auth::cookie_name(auth::CookieId::kMainToken, plain) == "token");
    BOOST_TEST(auth::cookie_name(auth::CookieId::kPodToken, plain) == "pod_token");
    BOOST_TEST(auth::cookie_name(auth::CookieId::kSession, secure) == "__Host-webpods.sid");
    BOOST_TEST(auth::cookie_name(auth::CookieId::kMainToken, secure) == "__Host-token");
    BOOST_TEST(auth::cookie_name(auth::CookieId::kPodToken, secure) == "__Host-pod_token");
}

BOOST_AUTO_TEST_CASE(login_cookies_are_named_as_spec_section_9_says) {
    BOOST_TEST(auth::cookie_name(auth::CookieId::kLoginState, request_with(false)) ==
               "webpods.state");
    BOOST_TEST(auth::cookie_name(auth::CookieId::kPodLogin, request_with(false)) ==
               "webpods.login");
    BOOST_TEST(auth::set_cookie(auth::CookieId::kLoginState, "s", 600, request_with(true)) ==
               "__Host-webpods.state=s; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure");
    BOOST_TEST(auth::set_cookie(auth::CookieId::kPodLogin, "l", 600, request_with(true)) ==
               "__Host-webpods.login=l; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure");
}

BOOST_AUTO_TEST_CASE(set_cookie_is_host_only_httponly_lax_and_secure_over_https) {
    BOOST_TEST(auth::set_cookie(auth::CookieId::kPodToken, "jwt", 60, request_with(true)) ==
               "__Host-pod_token=jwt; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
    BOOST_TEST(auth::set_cookie(auth::CookieId::kSession, "abc", 604800, request_with(false)) ==
               "webpods.sid=abc; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax");
    BOOST_TEST(auth::set_cookie(auth::CookieId::kMainToken, "t", -5, request_with(false)) ==
               "token=t; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

BOOST_AUTO_TEST_CASE(expired_cookie_is_empty_with_max_age_zero) {
    BOOST_TEST(auth::expired_cookie(auth::CookieId::kSession, request_with(true)) ==
               "__Host-webpods.sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
    BOOST_TEST(auth::expired_cookie(auth::CookieId::kMainToken, request_with(false)) ==
               "token=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

BOOST_AUTO_TEST_CASE(over_https_only_prefixed_names_are_read) {
    const http::Request tossed = request_with(true, "pod_token=planted; webpods.sid=planted");
    BOOST_TEST(!auth::read_cookie(tossed, auth::CookieId::kPodToken).has_value());
    BOOST_TEST(!auth::read_cookie(tossed, auth::CookieId::kSession).has_value());
    const http::Request secure = request_with(true, "pod_token=planted; __Host-pod_token=mine");
    BOOST_TEST(auth::read_cookie(secure, auth::CookieId::kPodToken).value_or("") == "mine");
}

BOOST_AUTO_TEST_CASE(over_http_only_bare_names_are_read) {
    const http::Request plain = request_with(false, "__Host-token=prefixed; token=bare");
    BOOST_TEST(auth::read_cookie(plain, auth::CookieId::kMainToken).value_or("") == "bare");
    const http::Request prefixed_only = request_with(false, "__Host-token=prefixed");
    BOOST_TEST(!auth::read_cookie(prefixed_only, auth::CookieId::kMainToken).has_value());
}

BOOST_AUTO_TEST_CASE(cookie_equals_needs_the_cookie_with_exactly_that_value) {
    const http::Request secure = request_with(true, "__Host-webpods.login=abc; webpods.login=xyz");
    BOOST_TEST(auth::cookie_equals(secure, auth::CookieId::kPodLogin, "abc"));
    BOOST_TEST(!auth::cookie_equals(secure, auth::CookieId::kPodLogin, "xyz"));
    BOOST_TEST(!auth::cookie_equals(secure, auth::CookieId::kPodLogin, "ab"));
    BOOST_TEST(!auth::cookie_equals(secure, auth::CookieId::kPodLogin, "abcd"));
    BOOST_TEST(!auth::cookie_equals(secure, auth::CookieId::kLoginState, "abc"));
    const http::Request empty = request_with(false, "webpods.login=");
    BOOST_TEST(!auth::cookie_equals(empty, auth::CookieId::kPodLogin, ""));
}

BOOST_AUTO_TEST_CASE(constant_time_equality_is_plain_equality) {
    BOOST_TEST(auth::equal_in_constant_time("", ""));
    BOOST_TEST(auth::equal_in_constant_time("secret", "secret"));
    BOOST_TEST(!auth::equal_in_constant_time("secret", "secreT"));
    BOOST_TEST(!auth::equal_in_constant_time("secret", "secrets"));
}

BOOST_AUTO_TEST_SUITE_END()
