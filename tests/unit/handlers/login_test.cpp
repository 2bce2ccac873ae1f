// Redirect sanitising (SPEC §3 last bullet) and HTML escaping of the login pages.
#include "handlers/login.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace handlers = webpods::handlers;

namespace {

constexpr const char* kDomain = "webpods.example";

}  // namespace

BOOST_AUTO_TEST_SUITE(handlers_login)

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
        BOOST_TEST(handlers::safe_redirect(target, kDomain) == target, target);
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
        BOOST_TEST(handlers::safe_redirect(target, kDomain) == "/", target);
    }
}

BOOST_AUTO_TEST_CASE(html_escape_covers_text_and_attributes) {
    BOOST_TEST(handlers::html_escape(R"(<script>alert('x')</script>"&)") ==
               "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;");
    BOOST_TEST(handlers::html_escape("plain.jwt-text_1") == "plain.jwt-text_1");
}

BOOST_AUTO_TEST_SUITE_END()
