// The JSON string escaper and the streaming writer built on it.
#include "json/writer.h"

#include <utility>

namespace webpods::json {

void append_quoted(std::string& out, std::string_view text) {
    static constexpr std::string_view kEscaped = "\"\\\b\f\n\r\t";
    static constexpr std::string_view kEscapeLetters = "\"\\bfnrt";
    static constexpr std::string_view kHexDigits = "0123456789abcdef";
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (const std::size_t i = kEscaped.find(c); i != std::string_view::npos) {
            out += '\\';
            out += kEscapeLetters[i];
        } else if (byte < 0x20) {
            out += "\\u00";
            out += kHexDigits[byte >> 4U];
            out += kHexDigits[byte & 0x0FU];
        } else {
            out += c;
        }
    }
    out += '"';
}

std::string quote(std::string_view text) {
    std::string quoted;
    append_quoted(quoted, text);
    return quoted;
}

void Writer::rewind(const Mark& mark) {
    text_.resize(mark.size);
    after_value_ = mark.after_value;
}

void Writer::separate() {
    if (after_value_) {
        text_ += ',';
    }
}

Writer& Writer::begin_object() {
    separate();
    text_ += '{';
    after_value_ = false;
    return *this;
}

Writer& Writer::end_object() {
    text_ += '}';
    after_value_ = true;
    return *this;
}

Writer& Writer::begin_array() {
    separate();
    text_ += '[';
    after_value_ = false;
    return *this;
}

Writer& Writer::end_array() {
    text_ += ']';
    after_value_ = true;
    return *this;
}

Writer& Writer::key(std::string_view name) {
    separate();
    append_quoted(text_, name);
    text_ += ':';
    after_value_ = false;
    return *this;
}

Writer& Writer::string(std::string_view text) {
    separate();
    append_quoted(text_, text);
    after_value_ = true;
    return *this;
}

Writer& Writer::integer(std::int64_t value) {
    separate();
    text_ += std::to_string(value);
    after_value_ = true;
    return *this;
}

Writer& Writer::boolean(bool value) {
    separate();
    text_ += value ? "true" : "false";
    after_value_ = true;
    return *this;
}

Writer& Writer::null() {
    separate();
    text_ += "null";
    after_value_ = true;
    return *this;
}

Writer& Writer::raw_json(std::string_view already_valid_json) {
    separate();
    text_ += already_valid_json;
    after_value_ = true;
    return *this;
}

std::string Writer::take() && {
    after_value_ = false;
    return std::exchange(text_, {});
}

}  // namespace webpods::json
