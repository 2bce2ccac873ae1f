// The strict JSON recognizer: whether bytes are one JSON value, without building it.
#pragma once

#include <string_view>

namespace webpods::json {

// Whether text is exactly one JSON value (RFC 8259, UTF-8, nesting depth at most 128), with
// only JSON whitespace around it. Allocates nothing; never throws.
bool is_valid(std::string_view text);

}  // namespace webpods::json
