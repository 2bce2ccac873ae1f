// Calls to an OAuth provider over Poco::Net: TLS verified, bounded in time and size, failures
// reported as OAUTH_ERROR. Knows HTTP, not OAuth.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webpods::auth {

// Every call to a provider gives up after this long without progress (connect, send, each
// receive), and after twice this long in all, so a provider that is down or hangs costs a worker
// thread seconds, never forever.
inline constexpr std::chrono::seconds kProviderTimeout{5};

// Header or form fields, in order: name, value.
using Fields = std::vector<std::pair<std::string, std::string>>;

// A provider's complete answer, whatever its status.
struct ProviderAnswer {
    int status = 0;
    std::string body;      // at most 1 MiB
    std::string endpoint;  // scheme, host, port and path that answered, for the log: no query
};

// The provider failed us: unreachable, too slow, an error status or an answer we cannot use.
// Throws errors::Error(kUnavailable, "OAUTH_ERROR"); detail, for the log only, names the endpoint
// (without query) and what went wrong, never a code, token or secret.
[[noreturn]] void throw_provider_error(std::string detail);

// GET url with Accept: application/json, a User-Agent and the given headers; redirects are not
// followed. Throws like throw_provider_error when no complete answer arrives in time.
ProviderAnswer provider_get(const std::string& url, const Fields& headers);

// POST an application/x-www-form-urlencoded body to url, otherwise like provider_get.
ProviderAnswer provider_post_form(const std::string& url, const std::string& form_body);

// The JSON object in text, or null when text is not one (nesting is bounded before Poco parses).
Poco::JSON::Object::Ptr parse_object(std::string_view text);

// A string member, empty when absent, null or not a string.
std::string string_member(const Poco::JSON::Object& object, const std::string& key);

}  // namespace webpods::auth
