// The strict JSON recognizer: what it accepts, what it refuses, and its depth bound.
#include "json/recognizer.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace json = webpods::json;

BOOST_AUTO_TEST_SUITE(json_recognizer)

BOOST_AUTO_TEST_CASE(scalars_objects_and_arrays_are_json) {
    for (const char* text : {"42", "-0.5e+3", "\"x\"", "true", "null", " {\"a\":[1,{}]} ", "[]"}) {
        BOOST_TEST(json::is_valid(text), text);
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
        BOOST_TEST(!json::is_valid(text), text);
    }
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_without_recursion_overflow) {
    BOOST_TEST(json::is_valid(std::string(100, '[') + std::string(100, ']')));
    BOOST_TEST(!json::is_valid(std::string(100000, '[') + std::string(100000, ']')));
}

BOOST_AUTO_TEST_CASE(string_with_invalid_utf8_is_refused) {
    BOOST_TEST(json::is_valid("\"w\xc3\xb6rld\""));
    BOOST_TEST(!json::is_valid("\"\xff\""));
}

BOOST_AUTO_TEST_SUITE_END()
