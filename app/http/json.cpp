// JSON quoting, UTF-8 validation, JSON validation (Poco parser) and base64.
#include "http/json.h"

#include <Poco/JSON/Parser.h>

#include <array>
#include <cstdio>

namespace webpods::http {

std::string json_quote(std::string_view text) {
    std::string quoted;
    quoted.reserve(text.size() + 2);
    quoted.push_back('"');
    for (const char c : text) {
        switch (c) {
            case '"':
                quoted += "\\\"";
                break;
            case '\\':
                quoted += "\\\\";
                break;
            case '\n':
                quoted += "\\n";
                break;
            case '\r':
                quoted += "\\r";
                break;
            case '\t':
                quoted += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    std::array<char, 8> escaped{};
                    std::snprintf(escaped.data(),
                                  escaped.size(),
                                  "\\u%04x",
                                  static_cast<unsigned>(static_cast<unsigned char>(c)));
                    quoted += escaped.data();
                } else {
                    quoted.push_back(c);
                }
        }
    }
    quoted.push_back('"');
    return quoted;
}

bool is_valid_utf8(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto lead = static_cast<unsigned char>(bytes[i]);
        std::size_t length = 0;
        unsigned code_point = 0;
        if (lead < 0x80) {
            ++i;
            continue;
        } else if ((lead & 0xE0U) == 0xC0U) {
            length = 2;
            code_point = lead & 0x1FU;
        } else if ((lead & 0xF0U) == 0xE0U) {
            length = 3;
            code_point = lead & 0x0FU;
        } else if ((lead & 0xF8U) == 0xF0U) {
            length = 4;
            code_point = lead & 0x07U;
        } else {
            return false;
        }
        if (i + length > bytes.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(bytes[i + k]);
            if ((next & 0xC0U) != 0x80U) return false;
            code_point = (code_point << 6U) | (next & 0x3FU);
        }
        static constexpr std::array<unsigned, 5> kSmallestOfLength = {0, 0, 0x80, 0x800, 0x10000};
        if (code_point < kSmallestOfLength[length] || code_point > 0x10FFFF ||
            (code_point >= 0xD800 && code_point <= 0xDFFF)) {
            return false;
        }
        i += length;
    }
    return true;
}

bool is_valid_json(std::string_view text) {
    // Poco's parser is recursive; a small depth bound keeps hostile nesting off the stack.
    static constexpr int kMaxDepth = 64;
    if (!is_valid_utf8(text)) return false;
    try {
        Poco::JSON::Parser parser;
        parser.setDepth(kMaxDepth);
        parser.parse(std::string(text));
        return true;
    } catch (const Poco::Exception&) {
        return false;
    } catch (const std::exception&) {
        return false;
    }
}

namespace {

unsigned byte_at(std::string_view bytes, std::size_t i) {
    return static_cast<unsigned char>(bytes[i]);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string encoded;
    encoded.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned triple =
            (byte_at(bytes, i) << 16U) | (byte_at(bytes, i + 1) << 8U) | byte_at(bytes, i + 2);
        encoded.push_back(kAlphabet[(triple >> 18U) & 0x3FU]);
        encoded.push_back(kAlphabet[(triple >> 12U) & 0x3FU]);
        encoded.push_back(kAlphabet[(triple >> 6U) & 0x3FU]);
        encoded.push_back(kAlphabet[triple & 0x3FU]);
    }
    const std::size_t left = bytes.size() - i;
    if (left > 0) {
        unsigned triple = byte_at(bytes, i) << 16U;
        if (left == 2) triple |= byte_at(bytes, i + 1) << 8U;
        encoded.push_back(kAlphabet[(triple >> 18U) & 0x3FU]);
        encoded.push_back(kAlphabet[(triple >> 12U) & 0x3FU]);
        encoded.push_back(left == 2 ? kAlphabet[(triple >> 6U) & 0x3FU] : '=');
        encoded.push_back('=');
    }
    return encoded;
}

}  // namespace webpods::http
