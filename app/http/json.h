// The JSON helpers http/ has offered, forwarding to json/ until their callers include it (#11).
#pragma once

#include <string>
#include <string_view>

#include "json/recognizer.h"
#include "json/writer.h"

namespace webpods::http {

// json::quote: text as a JSON string literal, quotes included; other bytes pass through.
// TODO(#11): callers switch to json::quote or json::Writer, then this goes.
inline std::string json_quote(std::string_view text) { return json::quote(text); }

// json::is_valid: whether text is exactly one JSON value (RFC 8259, UTF-8, depth <= 128).
// TODO(#11): callers switch to json::is_valid, then this goes.
inline bool is_valid_json(std::string_view text) { return json::is_valid(text); }

}  // namespace webpods::http
