// Fuzzes the JSON recognizer, UTF-8 check, json::quote, base64(url), hex and allow-list folding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "encoding/encoding.h"
#include "encoding/utf8.h"
#include "json/recognizer.h"
#include "json/writer.h"
#include "permissions/permissions.h"
#include "property.h"

namespace {

namespace encoding = webpods::encoding;
namespace json = webpods::json;
namespace permissions = webpods::permissions;
using webpods::fuzz::expect;

bool in(unsigned byte, unsigned low, unsigned high) { return byte >= low && byte <= high; }

// Unicode 15 Table 3-7 (well-formed UTF-8 byte sequences), written as the table reads, to
// compare against the decoding implementation in encoding/utf8.cpp.
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
    const std::string encoded = encoding::base64_encode(bytes);
    expect(encoded.size() == (bytes.size() + 2) / 3 * 4, "base64_encode: wrong length");
    expect(base64_decode(encoded) == bytes, "base64_encode does not decode back");
}

// Strict decoders accept exactly what the encoders write: one spelling per byte string.
void check_base64url_and_hex(std::string_view bytes) {
    expect(encoding::base64url_decode(encoding::base64url_encode(bytes)) == std::string(bytes),
           "base64url_encode does not decode back");
    if (const auto decoded = encoding::base64url_decode(bytes)) {
        expect(encoding::base64url_encode(*decoded) == bytes,
               "base64url_decode accepted a second spelling");
    }
    expect(encoding::hex_decode(encoding::hex_encode(bytes)) == std::string(bytes),
           "hex_encode does not decode back");
    if (const auto decoded = encoding::hex_decode(bytes)) {
        expect(decoded->size() * 2 == bytes.size(), "hex_decode: wrong length");
    }
}

void check_allow_list(std::string_view text, bool is_utf8) {
    permissions::AllowList list("auth:fuzz:creator", "auth:fuzz:owner");
    list.apply(text, "auth:fuzz:creator");  // anything at all: must neither throw nor crash
    list.find(text);
    if (!is_utf8) return;
    // A well-formed grant record for id `text` must land, whatever bytes the id holds.
    list.apply(R"({"id":)" + json::quote(text) + R"(,"read":true,"write":false})",
               "auth:fuzz:owner");
    const permissions::Grant* grant = list.find(text);
    expect(grant != nullptr, "a grant record with a quoted id was not folded");
    expect(grant->read && !grant->write, "a grant record's flags were misread");
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = webpods::fuzz::text_of(data, size);
    const bool is_utf8 = encoding::is_valid_utf8(input);
    expect(is_utf8 == is_utf8_by_table(input), "is_valid_utf8 differs from Table 3-7");
    expect(!json::is_valid(input) || is_utf8, "valid JSON that is not UTF-8");

    const std::string quoted = json::quote(input);
    expect(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"',
           "json::quote without its quotes");
    if (is_utf8) {
        expect(json::is_valid(quoted), "json::quote of UTF-8 is not valid JSON");
        json::Writer writer;
        writer.begin_array().string(input).raw_json(quoted).begin_object().key(input);
        writer.raw_json(quoted).end_object().end_array();
        expect(json::is_valid(writer.text()), "json::Writer of UTF-8 is not valid JSON");
    }
    check_base64(input);
    check_base64url_and_hex(input);
    check_allow_list(input, is_utf8);
    return 0;
}
