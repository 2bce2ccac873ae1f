// Byte-to-text encodings of RFC 4648: base16 (hex), base64 and base64url. Uses nothing of ours.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace webpods::encoding {

// Lowercase hex of any bytes, two characters per byte.
std::string hex_encode(std::string_view bytes);

// The bytes spelled by `hex`, digits in either case; nullopt when the length is odd or a
// character is not a hex digit. Never throws except std::bad_alloc.
std::optional<std::string> hex_decode(std::string_view hex);

// Standard base64 (alphabet ending "+/") with '=' padding to a multiple of four characters.
std::string base64_encode(std::string_view bytes);

// base64url (alphabet ending "-_") without padding.
std::string base64url_encode(std::string_view bytes);

// The bytes spelled by unpadded base64url, strictly: nullopt for any character outside the 64
// (padding and whitespace included), a length of 1 mod 4, or non-zero unused bits in the last
// character. So every byte string has exactly one accepted spelling, the one base64url_encode
// gives. Never throws except std::bad_alloc.
std::optional<std::string> base64url_decode(std::string_view text);

// The bytes spelled by padded standard base64, as strictly: nullopt unless the text is exactly
// what base64_encode gives for some bytes (padding to a multiple of four, no whitespace).
std::optional<std::string> base64_decode(std::string_view text);

// text with A-Z mapped to a-z and every other byte unchanged (no locale: hosts, header names and
// media types are ASCII).
std::string ascii_lower(std::string_view text);

// text without leading and trailing spaces and tabs.
std::string_view trim_blanks(std::string_view text);

}  // namespace webpods::encoding
