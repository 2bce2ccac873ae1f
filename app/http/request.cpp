// Request helpers: method names, header and cookie lookup, query-string decoding.
#include "http/request.h"

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

}  // namespace webpods::http
