// Fuzzes the JSON recognizer, UTF-8 check, json_quote, base64 and allow-list record folding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/json.h"
#include "permissions/permissions.h"
#include "property.h"

namespace {

namespace http = webpods::http;
namespace permissions = webpods::permissions;
using webpods::fuzz::expect;

bool in(unsigned byte, unsigned low, unsigned high) { return byte >= low && byte <= high; }

// Unicode 15 Table 3-7 (well-formed UTF-8 byte sequences), written as the table reads, to
// compare against the decoding implementation in http/json.cpp.
bool is_utf8_by_table(std::string_view text) {
    const auto at = [&text](std::size_t i) {
        return i < text.size() ? static_cast<unsigned char>(text[i]) : 0x100U;
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned b0 = at(i);
        const unsigned b1 = at(i + 1);
        const unsigned b2 = at(i + 2);
        const unsigned b3 = at(i + 3);
        if (b0 <= 0x7F) {
            i += 1;
        } else if (in(b0, 0xC2, 0xDF) && in(b1, 0x80, 0xBF)) {
            i += 2;
        } else if (((b0 == 0xE0 && in(b1, 0xA0, 0xBF)) ||
                    ((in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) && in(b1, 0x80, 0xBF)) ||
                    (b0 == 0xED && in(b1, 0x80, 0x9F))) &&
                   in(b2, 0x80, 0xBF)) {
            i += 3;
        } else if (((b0 == 0xF0 && in(b1, 0x90, 0xBF)) ||
                    (in(b0, 0xF1, 0xF3) && in(b1, 0x80, 0xBF)) ||
                    (b0 == 0xF4 && in(b1, 0x80, 0x8F))) &&
                   in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF)) {
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

std::string base64_decode(std::string_view text) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    unsigned bits = 0;
    int bit_count = 0;
    for (const char c : text) {
        if (c == '=') break;
        const std::size_t value = kAlphabet.find(c);
        expect(value != std::string_view::npos, "base64_encode wrote a character not in base64");
        bits = ((bits << 6U) | static_cast<unsigned>(value)) & 0xFFFU;
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            bytes += static_cast<char>((bits >> static_cast<unsigned>(bit_count)) & 0xFFU);
        }
    }
    return bytes;
}

void check_base64(std::string_view bytes) {
    const std::string encoded = http::base64_encode(bytes);
    expect(encoded.size() == (bytes.size() + 2) / 3 * 4, "base64_encode: wrong length");
    expect(base64_decode(encoded) == bytes, "base64_encode does not decode back");
}

void check_allow_list(std::string_view text, bool is_utf8) {
    permissions::AllowList list;
    list.apply(text);  // anything at all: must neither throw nor crash
    list.find(text);
    if (!is_utf8) return;
    // A well-formed grant record for id `text` must land, whatever bytes the id holds.
    list.apply(R"({"id":)" + http::json_quote(text) + R"(,"read":true,"write":false})");
    const permissions::Grant* grant = list.find(text);
    expect(grant != nullptr, "a grant record with a quoted id was not folded");
    expect(grant->read && !grant->write, "a grant record's flags were misread");
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = webpods::fuzz::text_of(data, size);
    const bool is_utf8 = http::is_valid_utf8(input);
    expect(is_utf8 == is_utf8_by_table(input), "is_valid_utf8 differs from Table 3-7");
    expect(!http::is_valid_json(input) || is_utf8, "valid JSON that is not UTF-8");

    const std::string quoted = http::json_quote(input);
    expect(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"',
           "json_quote without its quotes");
    if (is_utf8) {
        expect(http::is_valid_json(quoted), "json_quote of UTF-8 is not valid JSON");
        expect(http::is_valid_json("[" + quoted + "," + quoted + "]"),
               "json_quote of UTF-8 does not nest in an array");
    }
    check_base64(input);
    check_allow_list(input, is_utf8);
    return 0;
}
