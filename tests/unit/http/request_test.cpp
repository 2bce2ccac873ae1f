// Query-string splitting and percent-decoding.
#include "http/request.h"

#include <boost/test/unit_test.hpp>

#include "errors/errors.h"

namespace http = webpods::http;
namespace errors = webpods::errors;

BOOST_AUTO_TEST_SUITE(http_request)

BOOST_AUTO_TEST_CASE(query_is_split_and_percent_decoded) {
    const auto query = http::parse_query("i=-1&alias=a%2Fb&x=a+b&i=2&flag");
    BOOST_TEST(query.at("i") == "-1");  // the first occurrence wins
    BOOST_TEST(query.at("alias") == "a/b");
    BOOST_TEST(query.at("x") == "a b");
    BOOST_TEST(query.at("flag") == "");
}

BOOST_AUTO_TEST_CASE(malformed_percent_escape_is_invalid_input) {
    for (const char* text : {"a=%", "a=%4", "a=%zz"}) {
        BOOST_CHECK_EXCEPTION(http::parse_query(text), errors::Error, [](const errors::Error& e) {
            return e.public_code() == "INVALID_INPUT";
        });
    }
}

BOOST_AUTO_TEST_CASE(entity_tags_are_unquoted_and_joined) {
    using http::TagComparison;
    BOOST_TEST(*http::parse_entity_tags(" * ", TagComparison::kStrong) == "*");
    BOOST_TEST(*http::parse_entity_tags(R"("a")", TagComparison::kStrong) == "a");
    BOOST_TEST(*http::parse_entity_tags(R"("a" , "b",W/"c")", TagComparison::kStrong) == "a,b,W/c");
    BOOST_TEST(*http::parse_entity_tags(R"(W/"c", "d")", TagComparison::kWeak) == "c,d");
    BOOST_TEST(*http::parse_entity_tags(R"("")", TagComparison::kStrong) == "");
}

BOOST_AUTO_TEST_CASE(malformed_entity_tags_are_refused) {
    for (const char* header :
         {"", "a", R"("open)", R"("a" "b")", R"("a b")", R"("a,b")", R"(W/a)", R"(*, "a")"}) {
        BOOST_TEST(!http::parse_entity_tags(header, http::TagComparison::kStrong), header);
    }
}

BOOST_AUTO_TEST_SUITE_END()
