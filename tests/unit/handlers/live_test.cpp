// The texts of live reads (SPEC §11): events on one data line, the end event, the long poll's
// list, and which requests are live at all.
#include "handlers/live.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "errors/errors.h"

namespace handlers = webpods::handlers;
namespace http = webpods::http;
using webpods::store::Record;

namespace {

Record record(long long index, std::string content, std::string type = "text/plain") {
    Record made;
    made.index = index;
    made.content = std::move(content);
    made.content_type = std::move(type);
    made.author = "auth:test:a";
    made.hash = "sha256:" + std::string(64, 'a');
    made.timestamp = "2026-01-01T00:00:00.000Z";
    return made;
}

bool is_invalid_input(const webpods::errors::Error& error) {
    return error.code() == webpods::errors::Code::kInvalidInput;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(handlers_live)

BOOST_AUTO_TEST_CASE(record_event_names_index_and_type_and_keeps_json_on_one_line) {
    const std::string event =
        handlers::record_event(record(7, "{\n  \"a\": [1,\r\n 2]\n}", "application/json"));
    BOOST_TEST(event.rfind("id: 7\nevent: record\ndata: {", 0) == 0U);
    BOOST_TEST(event.find("\"content\":{   \"a\": [1,   2] }") != std::string::npos);
    BOOST_TEST(event.substr(event.size() - 2) == "\n\n");
    BOOST_TEST(event.find('\n', 22) == event.size() - 2);  // no line break inside the data
    BOOST_TEST(event.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_with_line_breaks_stays_escaped_in_the_event) {
    const std::string event = handlers::record_event(record(0, "two\nlines"));
    BOOST_TEST(event.find("\"content\":\"two\\nlines\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(end_events_give_the_reason) {
    BOOST_TEST(handlers::end_event(handlers::EndReason::kForbidden) ==
               "event: end\ndata: {\"reason\":\"forbidden\"}\n\n");
    BOOST_TEST(handlers::end_event(handlers::EndReason::kDeleted) ==
               "event: end\ndata: {\"reason\":\"deleted\"}\n\n");
}

BOOST_AUTO_TEST_CASE(list_json_is_a_list_from_the_offset_within_limit) {
    const std::vector<Record> records = {record(3, "a"), record(4, "b"), record(5, "c")};
    const std::string two = handlers::list_json(records, 1, 1, 6, 1 << 20);
    BOOST_TEST(two.find("\"content\":\"b\"") != std::string::npos);
    BOOST_TEST(two.find("\"content\":\"c\"") == std::string::npos);
    BOOST_TEST(two.find("\"total\":6,\"has_more\":true,\"next_index\":4}") != std::string::npos);
    const std::string all = handlers::list_json(records, 0, 100, 6, 1 << 20);
    BOOST_TEST(all.find("\"has_more\":false,\"next_index\":5}") != std::string::npos);
    BOOST_TEST(handlers::list_json({}, 0, 100, 6, 1 << 20) ==
               "{\"records\":[],\"total\":6,\"has_more\":false,\"next_index\":null}");
}

BOOST_AUTO_TEST_CASE(list_json_stops_within_the_budget_but_keeps_the_first) {
    const std::vector<Record> records = {record(0, std::string(300, 'x')), record(1, "y")};
    const std::string answer = handlers::list_json(records, 0, 100, 2, 200);
    BOOST_TEST(answer.find(std::string(300, 'x')) != std::string::npos);
    BOOST_TEST(answer.find("\"content\":\"y\"") == std::string::npos);
    BOOST_TEST(answer.find("\"has_more\":true,\"next_index\":0}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(event_stream_is_a_get_accepting_text_event_stream) {
    http::Request request;
    request.method = http::Method::kGet;
    request.headers["accept"] = "application/json, Text/Event-Stream;q=0.9";
    BOOST_TEST(handlers::wants_event_stream(request));
    request.headers["accept"] = "text/event-streams, application/json";
    BOOST_TEST(!handlers::wants_event_stream(request));
    request.headers["accept"] = "text/event-stream";
    request.method = http::Method::kHead;
    BOOST_TEST(!handlers::wants_event_stream(request));
}

BOOST_AUTO_TEST_CASE(wait_is_an_integer_from_1_to_30) {
    BOOST_TEST(!handlers::wait_seconds({}, http::Method::kGet).has_value());
    BOOST_TEST(handlers::wait_seconds({{"wait", "1"}}, http::Method::kGet).value() == 1);
    BOOST_TEST(handlers::wait_seconds({{"wait", "30"}}, http::Method::kGet).value() == 30);
    for (const char* wait : {"0", "31", "-1", "1.5", "x", "", "01x"}) {
        BOOST_CHECK_EXCEPTION(handlers::wait_seconds({{"wait", wait}}, http::Method::kGet),
                              webpods::errors::Error,
                              is_invalid_input);
    }
    // HEAD answers at once, after the same check.
    BOOST_TEST(!handlers::wait_seconds({{"wait", "5"}}, http::Method::kHead).has_value());
    BOOST_CHECK_EXCEPTION(handlers::wait_seconds({{"wait", "0"}}, http::Method::kHead),
                          webpods::errors::Error,
                          is_invalid_input);
}

BOOST_AUTO_TEST_SUITE_END()
