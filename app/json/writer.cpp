// The JSON string escaper and the streaming writer built on it.
#include "json/writer.h"

#include <utility>

namespace webpods::json {

namespace {

constexpr std::string_view kEscaped = "\"\\\b\f\n\r\t";
constexpr std::string_view kEscapeLetters = "\"\\bfnrt";
constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::size_t kUnicodeEscapeBytes = 6;  // \u00xx

// append_quoted without the quotes.
void append_escaped(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size());
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
}

}  // namespace

void append_quoted(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    append_escaped(out, text);
    out += '"';
}

std::size_t quoted_size(std::string_view text) {
    std::size_t size = 2;
    for (const char c : text) {
        if (kEscaped.find(c) != std::string_view::npos) {
            size += 2;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            size += kUnicodeEscapeBytes;
        } else {
            ++size;
        }
    }
    return size;
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
    return open_string().string_part(text).close_string();
}

Writer& Writer::open_string() {
    separate();
    text_ += '"';
    return *this;
}

Writer& Writer::string_part(std::string_view text) {
    while (!text.empty()) {
        const std::string_view slice = text.substr(0, kPieceBytes);
        append_escaped(text_, slice);
        text.remove_prefix(slice.size());
        spill();
    }
    return *this;
}

Writer& Writer::close_string() {
    text_ += '"';
    after_value_ = true;
    spill();
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
    while (!already_valid_json.empty()) {
        const std::string_view slice = already_valid_json.substr(0, kPieceBytes);
        text_ += slice;
        already_valid_json.remove_prefix(slice.size());
        spill();
    }
    after_value_ = true;
    return *this;
}

void Writer::spill() {
    if (sink_ && text_.size() >= kPieceBytes) {
        flush();
    }
}

void Writer::flush() {
    if (sink_ && !text_.empty()) {
        sink_(text_);
        sent_ += text_.size();
        text_.clear();
    }
}

std::string Writer::take() && {
    after_value_ = false;
    return std::exchange(text_, {});
}

}  // namespace webpods::json
