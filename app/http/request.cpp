// Request helpers: method names, header and cookie lookup, query-string decoding.
#include "http/request.h"

#include <algorithm>
#include <utility>

#include "encoding/encoding.h"
#include "errors/errors.h"

namespace webpods::http {

Method parse_method(std::string_view name) {
    if (name == "GET") {
        return Method::kGet;
    }
    if (name == "HEAD") {
        return Method::kHead;
    }
    if (name == "POST") {
        return Method::kPost;
    }
    if (name == "PUT") {
        return Method::kPut;
    }
    if (name == "PATCH") {
        return Method::kPatch;
    }
    if (name == "DELETE") {
        return Method::kDelete;
    }
    if (name == "OPTIONS") {
        return Method::kOptions;
    }
    return Method::kOther;
}

std::string_view Request::header(std::string_view lower_case_name) const {
    const auto found = headers.find(lower_case_name);
    return found == headers.end() ? std::string_view{} : std::string_view{found->second};
}

std::optional<std::string> Request::cookie(std::string_view name) const {
    std::string_view rest = header("cookie");
    while (!rest.empty()) {
        const std::size_t end = rest.find(';');
        std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') {
            pair.remove_prefix(1);
        }
        const std::size_t equals = pair.find('=');
        if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
            return std::string(pair.substr(equals + 1));
        }
    }
    return std::nullopt;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            decoded.push_back(' ');
        } else if (c == '%') {
            const bool complete = i + 2 < text.size();
            const int high = complete ? hex_value(text[i + 1]) : -1;
            const int low = complete ? hex_value(text[i + 2]) : -1;
            if (high < 0 || low < 0) {
                throw errors::Error(errors::Code::kInvalidInput,
                                    "Malformed percent-encoding in query string");
            }
            decoded.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else {
            decoded.push_back(c);
        }
    }
    return decoded;
}

}  // namespace

QueryParams parse_query(std::string_view query_string) {
    QueryParams params;
    while (!query_string.empty()) {
        const std::size_t end = query_string.find('&');
        const std::string_view pair = query_string.substr(0, end);
        query_string =
            end == std::string_view::npos ? std::string_view{} : query_string.substr(end + 1);
        if (pair.empty()) {
            continue;
        }
        const std::size_t equals = pair.find('=');
        std::string name = percent_decode(pair.substr(0, equals));
        std::string value = equals == std::string_view::npos
                                ? std::string{}
                                : percent_decode(pair.substr(equals + 1));
        params.emplace(std::move(name), std::move(value));
    }
    return params;
}

namespace {

// One entity tag at the front of `header` (RFC 9110 §8.8.3), removed from it with the list
// separator after it: its opaque value without quotes, and whether it is weak. nullopt: the
// front is not an entity tag.
std::optional<std::pair<std::string_view, bool>> take_entity_tag(std::string_view& header) {
    bool weak = false;
    if (header.substr(0, 2) == "W/") {
        weak = true;
        header.remove_prefix(2);
    }
    // etagc = %x21 / %x23-7E / obs-text: anything visible but '"'.
    if (header.size() < 2 || header.front() != '"') {
        return std::nullopt;
    }
    const std::size_t close = header.find('"', 1);
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view tag = header.substr(1, close - 1);
    const bool visible = std::all_of(tag.begin(), tag.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && c != 0x7f && c != ',';
    });
    if (!visible) {
        return std::nullopt;
    }
    header = encoding::trim_blanks(header.substr(close + 1));
    if (!header.empty()) {
        if (header.front() != ',') {
            return std::nullopt;
        }
        header = encoding::trim_blanks(header.substr(1));
    }
    return std::pair{tag, weak};
}

}  // namespace

std::optional<std::string> parse_entity_tags(std::string_view header, TagComparison comparison) {
    header = encoding::trim_blanks(header);
    if (header == "*") {
        return std::string("*");
    }
    if (header.empty()) {
        return std::nullopt;
    }
    std::string tags;
    bool any = false;
    while (!header.empty()) {
        const auto tag = take_entity_tag(header);
        if (!tag) {
            return std::nullopt;
        }
        if (any) {
            tags += ',';
        }
        if (tag->second && comparison == TagComparison::kStrong) {
            tags += "W/";
        }
        tags.append(tag->first);
        any = true;
    }
    return tags;
}

}  // namespace webpods::http
