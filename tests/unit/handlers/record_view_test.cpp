// Which stored types a browser could run as script (SPEC §9), and how types are compared.
#include "handlers/record_view.h"

#include <boost/test/unit_test.hpp>

namespace handlers = webpods::handlers;

BOOST_AUTO_TEST_SUITE(handlers_record_view)

BOOST_AUTO_TEST_CASE(media_types_drop_parameters_and_case) {
    BOOST_TEST(handlers::media_type_of(" Text/HTML ; charset=utf-8") == "text/html");
    BOOST_TEST(handlers::media_type_of("application/json") == "application/json");
    BOOST_TEST(handlers::is_json_type("Application/JSON; charset=utf-8"));
    BOOST_TEST(!handlers::is_json_type("application/jsonx"));
}

BOOST_AUTO_TEST_CASE(html_svg_and_every_xml_type_are_active) {
    for (const char* type : {"text/html",
                             "TEXT/HTML; charset=utf-8",
                             "application/xhtml+xml",
                             "image/svg+xml",
                             "text/xml",
                             "application/xml",
                             "application/atom+xml"}) {
        BOOST_TEST(handlers::is_active_type(type), type);
    }
}

BOOST_AUTO_TEST_CASE(passive_types_are_not_active) {
    for (const char* type :
         {"text/plain", "application/json", "image/png", "text/css", "+xml", "text/htmlx"}) {
        BOOST_TEST(!handlers::is_active_type(type), type);
    }
}

BOOST_AUTO_TEST_SUITE_END()
