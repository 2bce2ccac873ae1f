// The UTF-8 well-formedness check shared by JSON recognition and record rendering.
#pragma once

#include <string_view>

namespace webpods::encoding {

// Whether bytes are well-formed UTF-8 (Unicode Table 3-7: no overlongs, no surrogates, nothing
// above U+10FFFF). The empty string is well-formed.
bool is_valid_utf8(std::string_view bytes);

}  // namespace webpods::encoding
