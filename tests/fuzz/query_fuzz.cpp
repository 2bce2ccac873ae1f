// Fuzzes query-string decoding, the `i` index expression, integers and Cookie header lookup.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "errors/errors.h"
#include "http/request.h"
#include "ids/ids.h"
#include "property.h"

namespace {

namespace http = webpods::http;
namespace errors = webpods::errors;
namespace ids = webpods::ids;
using webpods::fuzz::expect;

// Every byte outside [A-Za-z0-9] as %XX, so the text decodes back to exactly `bytes`.
std::string percent_encode(std::string_view bytes) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string encoded;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += kHex[byte >> 4U];
            encoded += kHex[byte & 0x0FU];
        }
    }
    return encoded;
}

// The decimal spelling from_chars reads `text` as: leading zeros dropped, "-0" is "0".
std::string canonical_integer(std::string_view text) {
    const bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
    if (text == "0") return "0";
    return (negative ? "-" : "") + std::string(text);
}

void check_integer(std::string_view text) {
    const auto value = ids::parse_integer(text);
    if (!value) return;
    expect(canonical_integer(text) == std::to_string(*value),
           "parse_integer accepted text that is not the decimal spelling of its value");
    expect(ids::parse_integer(std::to_string(*value)) == value,
           "parse_integer does not read back std::to_string of its result");
}

void check_index_query(std::string_view text) {
    const auto index = ids::parse_index_query(text);
    if (!index) return;
    expect(index->end.has_value() == (text.find(':') != std::string_view::npos),
           "parse_index_query: a range exactly when the text has ':'");
    std::string spelled = std::to_string(index->first);
    if (index->end) spelled += ":" + std::to_string(*index->end);
    const auto again = ids::parse_index_query(spelled);
    expect(again && again->first == index->first && again->end == index->end,
           "parse_index_query does not round-trip");
}

void check_query(std::string_view query) {
    http::QueryParams params;
    try {
        params = http::parse_query(query);
    } catch (const errors::Error& error) {
        expect(error.public_code() == "INVALID_INPUT", "parse_query threw an unexpected code");
        expect(query.find('%') != std::string_view::npos,
               "parse_query refused a query without any escape");
        return;
    }
    // Re-encoding the decoded parameters must give a query that decodes to the same map.
    std::string encoded;
    for (const auto& [name, value] : params) {
        if (!encoded.empty()) encoded += '&';
        encoded += percent_encode(name) + "=" + percent_encode(value);
    }
    expect(http::parse_query(encoded) == params, "parse_query does not round-trip");
    for (const auto& [name, value] : params) {
        check_integer(value);
        check_index_query(value);
        ids::is_valid_alias(value);
        ids::is_valid_stream_id(value);
    }
}

void check_cookies(std::string_view header) {
    http::Request request;
    request.headers.emplace("cookie", std::string(header));
    for (const char* name : {"token", "pod_token", "session", "oauth_state", ""}) {
        const auto value = request.cookie(name);
        if (value) {
            expect(header.find(std::string(name) + "=" + *value) != std::string_view::npos,
                   "cookie value is not in the header after its name");
        }
    }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = webpods::fuzz::text_of(data, size);
    check_query(input);
    check_integer(input);
    check_index_query(input);
    check_cookies(input);
    http::parse_method(input);
    return 0;
}
