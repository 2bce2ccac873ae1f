// Which stored types a browser could run as script (SPEC §9), how types are compared, and the
// size of a record's JSON known before it is written.
#include "handlers/record_view.h"

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handlers = webpods::handlers;
namespace store = webpods::store;

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

// record_json_size must be exact: an answer decides from it, before it sends a byte of a
// record, whether the record still fits the response budget.
BOOST_AUTO_TEST_CASE(record_json_size_is_the_size_of_record_json) {
    std::string binary;
    for (int byte = 0; byte < 256; ++byte) {
        binary += static_cast<char>(byte);
    }
    store::Record record;
    record.index = 12345;
    record.content_type = "text/plain";
    record.author = "github:42";
    record.hash = "sha256:" + std::string(64, 'a');
    record.timestamp = "2026-12-03T19:00:00.000Z";
    const std::string long_text(200000, '"');
    const std::vector<std::string> contents{binary, long_text, "", "text with \n and \t"};
    for (const std::string& content : contents) {
        for (const char* type : {"text/plain", "application/json", "image/png"}) {
            for (const bool first : {true, false}) {
                record.content = content;
                record.content_type = type;
                if (std::string_view(type) == "application/json") {
                    record.content = "{\"a\":[1,2,\"" + std::string(300, 'x') + "\"]}";
                }
                record.previous_hash = first ? "" : record.hash;
                record.alias = first ? std::nullopt : std::optional<std::string>("an \"alias\"");
                BOOST_TEST(
                    handlers::record_json_size(record) == handlers::record_json(record).size(),
                    type);
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
