// The exact bytes json::quote and json::Writer produce: escapes, commas, nesting, raw values.
#include "json/writer.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace json = webpods::json;

BOOST_AUTO_TEST_SUITE(json_writer)

BOOST_AUTO_TEST_CASE(quote_escapes_quote_and_backslash_but_not_slash) {
    BOOST_TEST(json::quote("") == R"("")");
    BOOST_TEST(json::quote(R"(a"b\c/d)") == R"("a\"b\\c/d")");
}

BOOST_AUTO_TEST_CASE(quote_escapes_named_controls_by_letter_and_others_as_lowercase_u00xx) {
    BOOST_TEST(json::quote("\b\f\n\r\t") == R"("\b\f\n\r\t")");
    BOOST_TEST(json::quote(std::string_view("\x00\x01\x1a\x1f", 4)) ==
               R"("\u0000\u0001\u001a\u001f")");
    BOOST_TEST(json::quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

BOOST_AUTO_TEST_CASE(quote_passes_delete_and_non_ascii_utf8_through) {
    BOOST_TEST(json::quote("\x7f") == "\"\x7f\"");
    BOOST_TEST(json::quote("w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80") ==
               "\"w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

BOOST_AUTO_TEST_CASE(append_quoted_appends_after_what_is_there) {
    std::string out = "x=";
    json::append_quoted(out, "y\n");
    BOOST_TEST(out == R"(x="y\n")");
}

BOOST_AUTO_TEST_CASE(empty_containers_have_no_commas) {
    BOOST_TEST(json::Writer().begin_object().end_object().text() == "{}");
    BOOST_TEST(json::Writer().begin_array().end_array().text() == "[]");
}

BOOST_AUTO_TEST_CASE(scalars_are_separated_by_commas_in_arrays) {
    json::Writer writer;
    writer.begin_array()
        .integer(0)
        .integer(-1)
        .integer(std::numeric_limits<std::int64_t>::min())
        .integer(std::numeric_limits<std::int64_t>::max())
        .boolean(true)
        .boolean(false)
        .null()
        .string("s")
        .end_array();
    BOOST_TEST(writer.text() ==
               R"([0,-1,-9223372036854775808,9223372036854775807,true,false,null,"s"])");
}

BOOST_AUTO_TEST_CASE(keys_are_escaped_and_members_separated_by_commas) {
    json::Writer writer;
    writer.begin_object().key("a\"\n").integer(1).key("b").string("\t").end_object();
    BOOST_TEST(writer.text() == R"({"a\"\n":1,"b":"\t"})");
}

BOOST_AUTO_TEST_CASE(nested_containers_get_commas_between_siblings_only) {
    json::Writer writer;
    writer.begin_object()
        .key("a")
        .begin_object()
        .key("b")
        .begin_array()
        .end_array()
        .end_object()
        .key("c")
        .begin_array()
        .begin_object()
        .end_object()
        .begin_array()
        .null()
        .end_array()
        .integer(2)
        .end_array()
        .key("d")
        .null()
        .end_object();
    BOOST_TEST(writer.text() == R"({"a":{"b":[]},"c":[{},[null],2],"d":null})");
}

BOOST_AUTO_TEST_CASE(raw_json_is_copied_unchanged_as_one_value) {
    constexpr std::string_view kStored = "{ \"a\" : [1, 2.50, \"\\u00e9\"] }";
    json::Writer writer;
    writer.begin_object()
        .key("content")
        .raw_json(kStored)
        .key("list")
        .begin_array()
        .raw_json("1")
        .raw_json("\"\xc3\xa9\"")
        .end_array()
        .key("n")
        .integer(1)
        .end_object();
    BOOST_TEST(writer.text() ==
               "{\"content\":{ \"a\" : [1, 2.50, \"\\u00e9\"] },"
               "\"list\":[1,\"\xc3\xa9\"],\"n\":1}");
}

BOOST_AUTO_TEST_CASE(a_record_object_comes_out_byte_for_byte) {
    json::Writer writer;
    writer.begin_object()
        .key("index")
        .integer(0)
        .key("content")
        .string("h\xc3\xa9llo\n")
        .key("content_type")
        .string("text/plain")
        .key("alias")
        .null()
        .key("hash")
        .string("sha256:ab")
        .key("previous_hash")
        .null()
        .end_object();
    BOOST_TEST(writer.text() ==
               "{\"index\":0,\"content\":\"h\xc3\xa9llo\\n\","
               "\"content_type\":\"text/plain\",\"alias\":null,"
               "\"hash\":\"sha256:ab\",\"previous_hash\":null}");
}

BOOST_AUTO_TEST_CASE(take_moves_the_text_out_and_leaves_the_writer_empty) {
    json::Writer writer;
    writer.begin_array().integer(1).end_array();
    const std::string taken = std::move(writer).take();
    BOOST_TEST(taken == "[1]");
    BOOST_TEST(writer.text().empty());  // NOLINT(bugprone-use-after-move): take() promises empty
}

BOOST_AUTO_TEST_CASE(rewind_takes_back_a_value_and_its_comma) {
    json::Writer writer;
    writer.begin_array().integer(1);
    const json::Writer::Mark before = writer.mark();
    writer.begin_object().key("big").string("value").end_object();
    writer.rewind(before);
    writer.integer(2).end_array();
    BOOST_TEST(writer.text() == "[1,2]");
}

BOOST_AUTO_TEST_CASE(rewind_to_the_start_of_an_array_needs_no_comma) {
    json::Writer writer;
    writer.begin_array();
    const json::Writer::Mark empty = writer.mark();
    writer.integer(1);
    writer.rewind(empty);
    writer.integer(2).end_array();
    BOOST_TEST(writer.text() == "[2]");
}

BOOST_AUTO_TEST_CASE(quoted_size_counts_what_append_quoted_writes) {
    std::string every_byte;
    for (int byte = 0; byte < 256; ++byte) {
        every_byte += static_cast<char>(byte);
    }
    for (const std::string_view text : {std::string_view{},
                                        std::string_view("plain"),
                                        std::string_view(R"(a"b\c)"),
                                        std::string_view(every_byte)}) {
        BOOST_TEST(json::quoted_size(text) == json::quote(text).size());
    }
}

BOOST_AUTO_TEST_CASE(a_streaming_writer_sends_long_values_in_bounded_pieces) {
    // A string and a raw value of several pieces each, with escapes across piece borders.
    const std::string text(3 * json::Writer::kPieceBytes + 17, '\n');
    const std::string raw = "[" + std::string(2 * json::Writer::kPieceBytes, '1') + "]";
    std::string sent;
    std::size_t largest = 0;
    json::Writer streamed([&](std::string_view piece) {
        sent += piece;
        largest = std::max(largest, piece.size());
    });
    json::Writer held;
    for (json::Writer* writer : {&streamed, &held}) {
        writer->begin_object().key("text").string(text).key("raw").raw_json(raw);
        writer->key("parts").open_string().string_part("a\"").string_part("b").close_string();
        writer->end_object();
    }
    BOOST_TEST(streamed.size() == held.text().size());
    streamed.flush();
    BOOST_TEST(sent == held.text());
    BOOST_TEST(streamed.text().empty());
    // A piece is at most what one slice of kPieceBytes can escape to, plus what was held.
    BOOST_TEST(largest <= 2 * json::Writer::kPieceBytes + json::Writer::kPieceBytes);
}

BOOST_AUTO_TEST_SUITE_END()
