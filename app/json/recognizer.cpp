// Strict RFC 8259 recognition: a recursive descent over the bytes, depth-bounded, no allocation.
#include "json/recognizer.h"

#include <cstddef>

#include "encoding/utf8.h"

namespace webpods::json {
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

bool is_valid(std::string_view text) {
    return encoding::is_valid_utf8(text) && JsonValidator(text).is_valid();
}

}  // namespace webpods::json
