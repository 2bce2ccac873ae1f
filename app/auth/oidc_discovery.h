// OpenID Connect discovery: a provider's endpoints from {issuer}/.well-known/openid-configuration,
// remembered per process.
#pragma once

#include <string>

namespace webpods::auth {

// The endpoints a discovery document names; each is empty when the document has none.
struct DiscoveredEndpoints {
    std::string authorization;
    std::string token;
    std::string userinfo;
};

// The endpoints of the issuer (a trailing '/' ignored), fetched once per process and hour: the
// document must name that same issuer (Discovery §4.3). Thread-safe; a fetch holds no lock, so a
// slow issuer stalls only the logins that need it. Throws errors::Error(kUnavailable,
// "OAUTH_ERROR") when the document cannot be fetched or used.
DiscoveredEndpoints discover_endpoints(const std::string& issuer);

}  // namespace webpods::auth
