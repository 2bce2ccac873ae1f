// An HTTP request as the application sees it, independent of FastCGI.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace webpods::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

Method parse_method(std::string_view name);

struct Request {
    Method method = Method::kOther;
    std::string host;          // Host header, lower-cased, port removed
    std::string path;          // raw path of REQUEST_URI, never percent-decoded
    std::string query_string;  // raw text after '?'
    std::map<std::string, std::string, std::less<>> headers;  // lower-case names: "content-type"
    std::string remote_addr;
    bool https = false;
    std::string server_port;  // the port nginx received the request on (SERVER_PORT)
    std::string body;

    // The header's value, or empty when absent.
    std::string_view header(std::string_view lower_case_name) const;
    // The named cookie's value from the Cookie header.
    std::optional<std::string> cookie(std::string_view name) const;
};

// Query parameters split on '&' and '=', names and values percent-decoded ('+' is a space).
// The first occurrence of a name wins. Throws Error(INVALID_INPUT) on a malformed escape.
using QueryParams = std::map<std::string, std::string, std::less<>>;
QueryParams parse_query(std::string_view query_string);

// How entity tags compare (RFC 9110 §8.8.3.2): If-Match is strong, If-None-Match weak.
enum class TagComparison { kStrong, kWeak };

// The values of an If-Match / If-None-Match header (RFC 9110 §13.1): "*", or the opaque tags
// of its comma-separated list of entity tags, without their quotes, joined by ','. Under strong
// comparison a weak tag keeps its "W/" so that it equals no opaque tag; under weak comparison
// it loses it. nullopt: not such a header.
std::optional<std::string> parse_entity_tags(std::string_view header, TagComparison comparison);

}  // namespace webpods::http
