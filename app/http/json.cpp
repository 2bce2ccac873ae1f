// JSON quoting, UTF-8 validation, JSON validation (Poco parser) and base64.
#include "http/json.h"

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
        }
        if ((lead & 0xE0U) == 0xC0U) {
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
        if (i + length > bytes.size()) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(bytes[i + k]);
            if ((next & 0xC0U) != 0x80U) {
                return false;
            }
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

namespace {

// A strict RFC 8259 recognizer: no allocation, recursion bounded by kMaxDepth.
// NOLINTBEGIN(misc-no-recursion): the depth check in value() bounds it
class JsonValidator {
public:
    explicit JsonValidator(std::string_view text) : text_(text) {}

    bool is_valid() {
        skip_whitespace();
        if (!value(0)) {
            return false;
        }
        skip_whitespace();
        return position_ == text_.size();
    }

private:
    static constexpr int kMaxDepth = 128;

    bool at_end() const { return position_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[position_]; }

    void skip_whitespace() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++position_;
        }
    }

    bool literal(std::string_view word) {
        if (text_.substr(position_, word.size()) != word) {
            return false;
        }
        position_ += word.size();
        return true;
    }

    bool value(int depth) {
        if (depth > kMaxDepth) {
            return false;
        }
        switch (peek()) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return number();
        }
    }

    bool object(int depth) {
        ++position_;  // '{'
        skip_whitespace();
        if (peek() == '}') {
            ++position_;
            return true;
        }
        while (true) {
            skip_whitespace();
            if (peek() != '"' || !string()) {
                return false;
            }
            skip_whitespace();
            if (peek() != ':') {
                return false;
            }
            ++position_;
            skip_whitespace();
            if (!value(depth)) {
                return false;
            }
            skip_whitespace();
            if (peek() == '}') {
                ++position_;
                return true;
            }
            if (peek() != ',') {
                return false;
            }
            ++position_;
        }
    }

    bool array(int depth) {
        ++position_;  // '['
        skip_whitespace();
        if (peek() == ']') {
            ++position_;
            return true;
        }
        while (true) {
            skip_whitespace();
            if (!value(depth)) {
                return false;
            }
            skip_whitespace();
            if (peek() == ']') {
                ++position_;
                return true;
            }
            if (peek() != ',') {
                return false;
            }
            ++position_;
        }
    }

    static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    bool string() {
        ++position_;  // opening quote
        while (!at_end()) {
            const auto c = static_cast<unsigned char>(text_[position_++]);
            if (c == '"') {
                return true;
            }
            if (c < 0x20) {
                return false;
            }
            if (c != '\\') {
                continue;
            }
            if (at_end()) {
                return false;
            }
            const char escaped = text_[position_++];
            if (escaped == 'u') {
                for (int i = 0; i < 4; ++i) {
                    if (at_end() || !is_hex(text_[position_++])) {
                        return false;
                    }
                }
            } else if (std::string_view("\"\\/bfnrt").find(escaped) == std::string_view::npos) {
                return false;
            }
        }
        return false;
    }

    bool digits() {
        const std::size_t start = position_;
        while (!at_end() && peek() >= '0' && peek() <= '9') {
            ++position_;
        }
        return position_ > start;
    }

    bool number() {
        if (peek() == '-') {
            ++position_;
        }
        if (peek() == '0') {
            ++position_;
        } else if (!digits()) {
            return false;
        }
        if (peek() == '.') {
            ++position_;
            if (!digits()) {
                return false;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++position_;
            if (peek() == '+' || peek() == '-') {
                ++position_;
            }
            if (!digits()) {
                return false;
            }
        }
        return true;
    }

    std::string_view text_;
    std::size_t position_ = 0;
};
// NOLINTEND(misc-no-recursion)

}  // namespace

bool is_valid_json(std::string_view text) {
    return is_valid_utf8(text) && JsonValidator(text).is_valid();
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
        if (left == 2) {
            triple |= byte_at(bytes, i + 1) << 8U;
        }
        encoded.push_back(kAlphabet[(triple >> 18U) & 0x3FU]);
        encoded.push_back(kAlphabet[(triple >> 12U) & 0x3FU]);
        encoded.push_back(left == 2 ? kAlphabet[(triple >> 6U) & 0x3FU] : '=');
        encoded.push_back('=');
    }
    return encoded;
}

}  // namespace webpods::http
