// JSON text out: the one string escaper and a streaming writer for answers we shape ourselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace webpods::json {

// Appends text to out as a JSON string literal, quotes included. Escapes '"', '\\' and the
// control characters below 0x20: \b \f \n \r \t by letter, the rest as \u00xx (lowercase hex).
// Every other byte is copied as it is, so UTF-8 passes through; the caller gives UTF-8 when the
// result must be valid JSON.
void append_quoted(std::string& out, std::string_view text);

// append_quoted into a new string.
std::string quote(std::string_view text);

// How many bytes append_quoted(text) appends, quotes included, counted without writing them.
std::size_t quoted_size(std::string_view text);

// Compact JSON written front to back into one string; the writer puts the commas and colons.
// The caller keeps the shape valid: every key() inside an object is followed by exactly one
// value or container, begin_* and end_* nest, and nothing follows the outermost value. The
// writer does not check this.
//   json::Writer writer;
//   writer.begin_object().key("index").integer(3).key("alias").null().end_object();
//   std::move(writer).take() == R"({"index":3,"alias":null})"
//
// With a sink the writer streams: what it writes goes to the sink in pieces of about
// kPieceBytes, a long string or raw value in slices, so no value is ever held whole (an answer
// written to the client while its rows arrive, SPEC §10). mark(), rewind(), text() and take()
// then see only what is still held; the caller sends the rest with flush().
class Writer {
public:
    using Sink = std::function<void(std::string_view)>;
    static constexpr std::size_t kPieceBytes = std::size_t{64} * 1024;

    Writer() = default;
    explicit Writer(Sink sink) : sink_(std::move(sink)) {}

    Writer& begin_object();
    Writer& end_object();
    Writer& begin_array();
    Writer& end_array();
    // An object member's name; the next call writes its value.
    Writer& key(std::string_view name);
    Writer& string(std::string_view text);  // escaped as append_quoted does
    // One string value written in parts, each escaped as append_quoted does:
    // open_string().string_part(a).string_part(b).close_string() writes the string a + b.
    Writer& open_string();
    Writer& string_part(std::string_view text);
    Writer& close_string();
    Writer& integer(std::int64_t value);
    Writer& boolean(bool value);
    Writer& null();
    // Copies already_valid_json unchanged as the next value, without parsing it: the caller
    // guarantees it is exactly one JSON value (e.g. content validated when it was stored).
    Writer& raw_json(std::string_view already_valid_json);

    // A point in the text to come back to: rewind(mark()) drops everything written after it,
    // so an answer can take back the value that would make it too long.
    struct Mark {
        std::size_t size;
        bool after_value;
    };
    Mark mark() const { return {text_.size(), after_value_}; }
    void rewind(const Mark& mark);

    // The text written so far (with a sink: not yet sent).
    const std::string& text() const { return text_; }
    // Every byte written so far, sent or held.
    std::size_t size() const { return sent_ + text_.size(); }
    // Sends what is held to the sink (with none, does nothing).
    void flush();
    // The text written, moved out; the writer is left empty.
    std::string take() &&;

private:
    // Writes the comma a value or key needs after the sibling before it.
    void separate();
    // Sends the text held once it reaches kPieceBytes (with a sink).
    void spill();

    Sink sink_;
    std::size_t sent_ = 0;
    std::string text_;
    bool after_value_ = false;  // the last thing written was a complete value
};

}  // namespace webpods::json
