// RFC 4648 base16, base64 and base64url: one bit-accumulator for both base64 alphabets.
#include "encoding/encoding.h"

#include <cstddef>

namespace webpods::encoding {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr unsigned kNotHex = 16;

enum class Padding { kPadded, kUnpadded };

unsigned hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return static_cast<unsigned>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return static_cast<unsigned>(c - 'a') + 10U;
    }
    if (c >= 'A' && c <= 'F') {
        return static_cast<unsigned>(c - 'A') + 10U;
    }
    return kNotHex;
}

std::string encode_base64(std::string_view bytes, std::string_view alphabet, Padding padding) {
    std::string encoded;
    encoded.reserve((bytes.size() + 2) / 3 * 4);
    unsigned bits = 0;
    unsigned bit_count = 0;
    for (const char c : bytes) {
        // At most 5 bits are left over between bytes, so 13 bits always hold what is pending.
        bits = ((bits << 8U) | static_cast<unsigned char>(c)) & 0x1FFFU;
        bit_count += 8;
        while (bit_count >= 6) {
            bit_count -= 6;
            encoded.push_back(alphabet[(bits >> bit_count) & 0x3FU]);
        }
    }
    if (bit_count > 0) {
        encoded.push_back(alphabet[(bits << (6U - bit_count)) & 0x3FU]);
    }
    if (padding == Padding::kPadded) {
        encoded.append((4 - encoded.size() % 4) % 4, '=');
    }
    return encoded;
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        hex.push_back(kHexDigits[byte >> 4U]);
        hex.push_back(kHexDigits[byte & 0x0FU]);
    }
    return hex;
}

std::optional<std::string> hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const unsigned high = hex_value(hex[i]);
        const unsigned low = hex_value(hex[i + 1]);
        if (high == kNotHex || low == kNotHex) {
            return std::nullopt;
        }
        bytes.push_back(static_cast<char>((high << 4U) | low));
    }
    return bytes;
}

std::string base64_encode(std::string_view bytes) {
    return encode_base64(bytes, kBase64Alphabet, Padding::kPadded);
}

std::string base64url_encode(std::string_view bytes) {
    return encode_base64(bytes, kBase64UrlAlphabet, Padding::kUnpadded);
}

namespace {

// Unpadded base64 in `alphabet`, strictly: see base64url_decode.
std::optional<std::string> decode_base64(std::string_view text, std::string_view alphabet) {
    // One leftover character carries only 6 bits, less than a byte: no encoder writes it.
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string bytes;
    bytes.reserve(text.size() * 3 / 4);
    unsigned bits = 0;
    unsigned bit_count = 0;
    for (const char c : text) {
        const std::size_t value = alphabet.find(c);
        if (value == std::string_view::npos) {
            return std::nullopt;
        }
        bits = ((bits << 6U) | static_cast<unsigned>(value)) & 0xFFFU;
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            bytes.push_back(static_cast<char>((bits >> bit_count) & 0xFFU));
        }
    }
    // Rejecting set unused bits keeps the spelling unique, so a token cannot be altered unseen.
    if ((bits & ((1U << bit_count) - 1U)) != 0) {
        return std::nullopt;
    }
    return bytes;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
    return decode_base64(text, kBase64UrlAlphabet);
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    // At most two '=', at the end: a multiple of four then leaves 0, 2 or 3 characters over.
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    return decode_base64(text.substr(0, text.size() - padding), kBase64Alphabet);
}

std::string ascii_lower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return lower;
}

std::string_view trim_blanks(std::string_view text) {
    const auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace webpods::encoding
