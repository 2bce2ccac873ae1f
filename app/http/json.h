// Small JSON text builders for answers whose shape the handlers control exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace webpods::http {

// text as a JSON string literal, quotes included; bytes >= 0x80 pass through (callers give UTF-8).
std::string json_quote(std::string_view text);

// Whether bytes are well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Whether text is exactly one JSON value (RFC 8259, UTF-8, nesting depth at most 128).
bool is_valid_json(std::string_view text);

// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);

}  // namespace webpods::http
