// JSON recognition, UTF-8 validation, base64 and query-string decoding.
#include "http/json.h"

#include <boost/test/unit_test.hpp>

#include "errors/errors.h"
#include "http/request.h"

namespace http = webpods::http;
namespace errors = webpods::errors;

BOOST_AUTO_TEST_SUITE(http_json)

BOOST_AUTO_TEST_CASE(scalars_objects_and_arrays_are_json) {
    for (const char* text : {"42", "-0.5e+3", "\"x\"", "true", "null", " {\"a\":[1,{}]} ", "[]"}) {
        BOOST_TEST(http::is_valid_json(text), text);
    }
}

BOOST_AUTO_TEST_CASE(malformed_json_is_refused) {
    for (const char* text : {"",
                             "{",
                             "[1,]",
                             "{\"a\"}",
                             "01",
                             "1.",
                             "tru",
                             "\"\\x\"",
                             "[1] 2",
                             "{'a':1}",
                             "\"\x01\"",
                             "NaN",
                             "-"}) {
        BOOST_TEST(!http::is_valid_json(text), text);
    }
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_without_recursion_overflow) {
    BOOST_TEST(http::is_valid_json(std::string(100, '[') + std::string(100, ']')));
    BOOST_TEST(!http::is_valid_json(std::string(100000, '[') + std::string(100000, ']')));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused) {
    BOOST_TEST(http::is_valid_utf8("w\xc3\xb6rld"));
    BOOST_TEST(!http::is_valid_utf8("\xff"));
    BOOST_TEST(!http::is_valid_utf8("\xc0\xaf"));          // overlong '/'
    BOOST_TEST(!http::is_valid_utf8("\xed\xa0\x80"));      // surrogate
    BOOST_TEST(!http::is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    BOOST_TEST(!http::is_valid_json("\"\xff\""));
}

BOOST_AUTO_TEST_CASE(base64_known_answers) {
    BOOST_TEST(http::base64_encode("") == "");
    BOOST_TEST(http::base64_encode("f") == "Zg==");
    BOOST_TEST(http::base64_encode("fo") == "Zm8=");
    BOOST_TEST(http::base64_encode("foo") == "Zm9v");
    BOOST_TEST(http::base64_encode("\xff\xfe") == "//4=");
}

BOOST_AUTO_TEST_CASE(json_quote_escapes_quotes_backslashes_and_controls) {
    BOOST_TEST(http::json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

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

BOOST_AUTO_TEST_SUITE_END()
