// Redirect targets checked against our domain, and the pod origins we redirect to.
#include "auth/redirects.h"

#include <algorithm>

#include "encoding/encoding.h"
#include "ids/ids.h"

namespace webpods::auth {

namespace {

// publicUrl's scheme and port give every URL we send a browser to.
struct PublicOrigin {
    std::string scheme;  // http or https
    std::string port;    // empty when publicUrl has none
};

// config/ has checked publicUrl: "scheme://host[:port][/...]".
PublicOrigin public_origin(const std::string& public_url) {
    PublicOrigin origin;
    const std::size_t separator = public_url.find("://");
    origin.scheme = public_url.substr(0, separator);
    const std::string rest = public_url.substr(separator + 3);
    const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
    const std::size_t colon = authority.rfind(':');
    const std::size_t bracket = authority.rfind(']');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        origin.port = authority.substr(colon + 1);
    }
    return origin;
}

}  // namespace

std::string safe_redirect(std::string_view target, std::string_view domain) {
    const bool has_control = std::any_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (target.empty() || has_control) {
        return "/";
    }
    if (target.front() == '/') {
        if (target.size() > 1 && (target[1] == '/' || target[1] == '\\')) {
            return "/";
        }
        return std::string(target);
    }
    // Browsers read '\' as '/' in http(s) URLs, so it could move the authority: refused.
    if (target.find('\\') != std::string_view::npos) {
        return "/";
    }
    std::string_view rest;
    if (target.rfind("https://", 0) == 0) {
        rest = target.substr(8);
    } else if (target.rfind("http://", 0) == 0) {
        rest = target.substr(7);
    } else {
        return "/";
    }
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) {
        return "/";
    }
    std::string_view host = authority;
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        const std::string_view port = authority.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return "/";
        }
    }
    const std::string lower = encoding::ascii_lower(host);
    if (lower == domain) {
        return std::string(target);
    }
    const std::string suffix = "." + std::string(domain);
    if (lower.size() > suffix.size() &&
        lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        ids::is_valid_pod_id(std::string_view(lower).substr(0, lower.size() - suffix.size()))) {
        return std::string(target);
    }
    return "/";
}

std::string pod_origin(const config::Config& config, const std::string& pod) {
    const PublicOrigin origin = public_origin(config.public_url);
    return origin.scheme + "://" + pod + "." + config.domain +
           (origin.port.empty() ? "" : ":" + origin.port);
}

}  // namespace webpods::auth
