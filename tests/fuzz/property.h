// Property checks for the fuzz targets: a violated property aborts, so libFuzzer keeps the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace webpods::fuzz {

// Aborts with `what` on stderr when `holds` is false; libFuzzer then saves the input as a crash.
inline void expect(bool holds, const char* what) {
    if (!holds) {
        std::fprintf(stderr, "property violated: %s\n", what);
        std::abort();
    }
}

// The fuzzer's bytes as text; the targets take any bytes, NUL and non-UTF-8 included.
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace webpods::fuzz
