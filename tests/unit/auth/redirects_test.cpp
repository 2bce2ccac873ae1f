// Redirect sanitising (SPEC §3 last bullet) and the pod origins built from publicUrl.
#include "auth/redirects.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace auth = webpods::auth;

namespace {

constexpr const char* kDomain = "webpods.example";

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_redirects)

BOOST_AUTO_TEST_CASE(relative_paths_and_own_hosts_are_kept) {
    for (const char* target : {"/",
                               "/x",
                               "/blog/post?i=-1#top",
                               "/a//b",
                               "https://webpods.example",
                               "https://webpods.example/x",
                               "http://alice.webpods.example:8080/blog?i=1",
                               "https://ALICE.webpods.example/",
                               "https://a-1.webpods.example?x"}) {
        BOOST_TEST(auth::safe_redirect(target, kDomain) == target, target);
    }
}

BOOST_AUTO_TEST_CASE(anything_else_becomes_slash) {
    for (const char* target : {"",
                               "//evil.example",
                               "/\\evil.example",
                               "\\\\evil.example",
                               "x",
                               "evil.example",
                               "javascript:alert(1)",
                               "data:text/html,x",
                               "ftp://webpods.example/",
                               "HTTPS://evil.example",
                               "https://evil.example",
                               "https://webpods.example.evil.example/",
                               "https://evilwebpods.example/",
                               "https://a.b.webpods.example/",
                               "https://-bad.webpods.example/",
                               "https://user@webpods.example/",
                               "https://webpods.example@evil.example/",
                               "https://webpods.example:80x/",
                               "https://webpods.example:/",
                               "https://webpods.example\\@evil.example/",
                               "/x\r\nSet-Cookie: a=b",
                               "/x\ty",
                               "/x\x7f"}) {
        BOOST_TEST(auth::safe_redirect(target, kDomain) == "/", target);
    }
}

BOOST_AUTO_TEST_CASE(pod_origin_takes_scheme_and_port_from_public_url) {
    webpods::config::Config config;
    config.domain = kDomain;
    config.public_url = "https://webpods.example";
    BOOST_TEST(auth::pod_origin(config, "alice") == "https://alice.webpods.example");
    config.public_url = "http://webpods.example:8080/base";
    BOOST_TEST(auth::pod_origin(config, "alice") == "http://alice.webpods.example:8080");
    config.public_url = "https://[::1]:8443";
    BOOST_TEST(auth::pod_origin(config, "a-1") == "https://a-1.webpods.example:8443");
    config.public_url = "https://[::1]";
    BOOST_TEST(auth::pod_origin(config, "bob") == "https://bob.webpods.example");
}

BOOST_AUTO_TEST_SUITE_END()
