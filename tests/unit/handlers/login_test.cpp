// The login success page: HTML escaping of everything put into it.
#include <boost/test/unit_test.hpp>
#include <string>

#include "handlers/login_page.h"

namespace handlers = webpods::handlers;

BOOST_AUTO_TEST_SUITE(handlers_login)

BOOST_AUTO_TEST_CASE(html_escape_covers_text_and_attributes) {
    BOOST_TEST(handlers::html_escape(R"(<script>alert('x')</script>"&)") ==
               "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;");
    BOOST_TEST(handlers::html_escape("plain.jwt-text_1") == "plain.jwt-text_1");
}

BOOST_AUTO_TEST_CASE(login_page_escapes_token_and_continue_link) {
    const std::string page = handlers::login_page("<b>tok&en</b>", "/x?a=1&b=\"2\"");
    BOOST_TEST(page.find("<pre id=\"token\">&lt;b&gt;tok&amp;en&lt;/b&gt;</pre>") !=
               std::string::npos);
    BOOST_TEST(page.find("<a id=\"continue\" href=\"/x?a=1&amp;b=&quot;2&quot;\">Continue</a>") !=
               std::string::npos);
    BOOST_TEST(page.find("<b>") == std::string::npos);
    BOOST_TEST(page.find("<script") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
