// RFC 4648 known answers for base16, base64 and base64url, and what the strict decoders refuse.
#include "encoding/encoding.h"

#include <array>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace encoding = webpods::encoding;

namespace {

struct Vector {
    std::string_view bytes;
    std::string_view base16;  // RFC 4648 §10 spells it uppercase
    std::string_view base64;
    std::string_view base64url;  // base64 of RFC 4648 §10 with the padding removed
};

// RFC 4648 §10 test vectors.
constexpr std::array<Vector, 7> kRfc4648Vectors = {{
    {"", "", "", ""},
    {"f", "66", "Zg==", "Zg"},
    {"fo", "666F", "Zm8=", "Zm8"},
    {"foo", "666F6F", "Zm9v", "Zm9v"},
    {"foob", "666F6F62", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "666F6F6261", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "666F6F626172", "Zm9vYmFy", "Zm9vYmFy"},
}};

std::string lowercase(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return lower;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoding_rfc4648)

BOOST_AUTO_TEST_CASE(hex_encode_gives_lowercase_rfc4648_base16) {
    for (const Vector& vector : kRfc4648Vectors) {
        BOOST_TEST(encoding::hex_encode(vector.bytes) == lowercase(vector.base16));
    }
    BOOST_TEST(encoding::hex_encode(std::string_view("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
}

BOOST_AUTO_TEST_CASE(hex_decode_reads_either_case) {
    for (const Vector& vector : kRfc4648Vectors) {
        BOOST_TEST(encoding::hex_decode(vector.base16).value_or("<refused>") ==
                   std::string(vector.bytes));
        BOOST_TEST(encoding::hex_decode(lowercase(vector.base16)).value_or("<refused>") ==
                   std::string(vector.bytes));
    }
    BOOST_TEST(encoding::hex_decode("000fF0ff").value_or("<refused>") ==
               std::string("\x00\x0f\xf0\xff", 4));
}

BOOST_AUTO_TEST_CASE(hex_decode_refuses_odd_length_and_non_hex) {
    for (const char* text : {"6", "666", "6g", "g6", " 66", "66 ", "0x66", "+1"}) {
        BOOST_TEST(!encoding::hex_decode(text).has_value(), text);
    }
}

BOOST_AUTO_TEST_CASE(base64_encode_gives_rfc4648_answers_with_padding) {
    for (const Vector& vector : kRfc4648Vectors) {
        BOOST_TEST(encoding::base64_encode(vector.bytes) == vector.base64);
    }
    BOOST_TEST(encoding::base64_encode("\xff\xfe") == "//4=");
    BOOST_TEST(encoding::base64_encode("\xfb\xff") == "+/8=");
}

BOOST_AUTO_TEST_CASE(base64url_encode_gives_rfc4648_answers_without_padding) {
    for (const Vector& vector : kRfc4648Vectors) {
        BOOST_TEST(encoding::base64url_encode(vector.bytes) == vector.base64url);
    }
    BOOST_TEST(encoding::base64url_encode("\xff\xfe") == "__4");
    BOOST_TEST(encoding::base64url_encode("\xfb\xff") == "-_8");
}

BOOST_AUTO_TEST_CASE(base64url_decode_reads_what_base64url_encode_writes) {
    for (const Vector& vector : kRfc4648Vectors) {
        BOOST_TEST(encoding::base64url_decode(vector.base64url).value_or("<refused>") ==
                   std::string(vector.bytes));
    }
    BOOST_TEST(encoding::base64url_decode("-_8").value_or("<refused>") == std::string("\xfb\xff"));
}

BOOST_AUTO_TEST_CASE(base64url_decode_refuses_padding_other_alphabets_and_stray_bits) {
    for (const char* text : {"Zg==",   // padding
                             "Zm8=",   // padding
                             "+/8",    // standard alphabet
                             "Zm 9v",  // whitespace
                             "Zm9v\n",
                             "Z",      // a length of 1 mod 4 cannot end on a byte
                             "Zm9vY",  // likewise
                             "Zh",     // 'h' sets an unused bit where 'g' does not
                             "Zm9",    // '9' sets unused bits where '8' does not
                             "Zm9vYmF"}) {
        BOOST_TEST(!encoding::base64url_decode(text).has_value(), text);
    }
}

BOOST_AUTO_TEST_CASE(base64_decode_reads_what_base64_encode_writes) {
    for (const Vector& vector : kRfc4648Vectors) {
        BOOST_TEST(encoding::base64_decode(vector.base64).value_or("<refused>") ==
                   std::string(vector.bytes));
    }
    BOOST_TEST(encoding::base64_decode("+/8=").value_or("<refused>") == std::string("\xfb\xff"));
}

BOOST_AUTO_TEST_CASE(base64_decode_refuses_missing_padding_url_alphabet_and_stray_bits) {
    for (const char* text : {"Zg",    // padding missing
                             "Zm8",   // padding missing
                             "Zg=",   // padding short
                             "Z===",  // three '=' never pad anything
                             "====",
                             "Zg==Zg==",  // padding inside
                             "-_8=",      // base64url alphabet
                             "Zm 9v",     // whitespace
                             "Zm9v\n",
                             "Zh==",  // 'h' sets an unused bit where 'g' does not
                             "Zm9=",  // '9' sets unused bits where '8' does not
                             "Zm9vY==="}) {
        BOOST_TEST(!encoding::base64_decode(text).has_value(), text);
    }
}

BOOST_AUTO_TEST_CASE(ascii_lower_maps_only_ascii_letters) {
    BOOST_TEST(encoding::ascii_lower("HTTP://Alice.WebPods.Localhost:8080") ==
               "http://alice.webpods.localhost:8080");
    BOOST_TEST(encoding::ascii_lower("\xC3\x84Z@[") == "\xC3\x84z@[");
}

BOOST_AUTO_TEST_CASE(trim_blanks_drops_surrounding_spaces_and_tabs_only) {
    BOOST_TEST(encoding::trim_blanks(" \ttext/html \t") == "text/html");
    BOOST_TEST(encoding::trim_blanks("a b") == "a b");
    BOOST_TEST(encoding::trim_blanks(" \t ").empty());
    BOOST_TEST(encoding::trim_blanks("\nx\n") == "\nx\n");
}

BOOST_AUTO_TEST_SUITE_END()
