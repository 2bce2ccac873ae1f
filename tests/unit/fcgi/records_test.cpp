// FastCGI records the live hub writes by hand: headers, the 65535-byte split, the end.
#include "fcgi/records.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace fcgi = webpods::fcgi;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string text;
    for (const int value : values) {
        text.push_back(static_cast<char>(value));
    }
    return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fcgi_records)

BOOST_AUTO_TEST_CASE(stdout_record_has_version_type_id_and_length) {
    std::string out;
    fcgi::append_stdout(out, 258, "hi");
    BOOST_TEST(out == bytes({1, 6, 1, 2, 0, 2, 0, 0}) + "hi");
}

BOOST_AUTO_TEST_CASE(no_bytes_make_no_record) {
    std::string out;
    fcgi::append_stdout(out, 1, "");
    BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(long_output_is_split_at_65535_bytes) {
    std::string out;
    fcgi::append_stdout(out, 1, std::string(65536, 'x'));
    BOOST_REQUIRE(out.size() == 8 + 65535 + 8 + 1);
    BOOST_TEST(out.substr(0, 8) == bytes({1, 6, 0, 1, 0xFF, 0xFF, 0, 0}));
    BOOST_TEST(out.substr(8 + 65535, 8) == bytes({1, 6, 0, 1, 0, 1, 0, 0}));
    BOOST_TEST(out.back() == 'x');
}

BOOST_AUTO_TEST_CASE(end_closes_stdout_then_ends_the_request_complete) {
    std::string out;
    fcgi::append_end(out, 1);
    BOOST_TEST(out == bytes({1, 6, 0, 1, 0, 0, 0, 0}) + bytes({1, 3, 0, 1, 0, 8, 0, 0}) +
                          std::string(8, '\0'));
}

BOOST_AUTO_TEST_CASE(cgi_head_is_status_then_headers_then_a_blank_line) {
    webpods::http::Response response;
    response.status = 200;
    response.set_header("Content-Type", "text/event-stream");
    response.set_header("X-Accel-Buffering", "no");
    BOOST_TEST(
        fcgi::cgi_head(response) ==
        "Status: 200 OK\r\nContent-Type: text/event-stream\r\nX-Accel-Buffering: no\r\n\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
