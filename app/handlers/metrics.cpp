// The metrics endpoint: who may read it, and the answer's type.
#include "handlers/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "errors/errors.h"
#include "metrics/metrics.h"

namespace webpods::handlers {

namespace {

// An address as its family and bytes, so that "::1" and "0:0::1" are one address.
struct Address {
    int family = 0;
    std::array<unsigned char, sizeof(in6_addr)> bytes{};
    bool operator==(const Address& other) const {
        return family == other.family && bytes == other.bytes;
    }
};

std::optional<Address> parse_address(const std::string& text) {
    Address address;
    for (const int family : {AF_INET, AF_INET6}) {
        if (inet_pton(family, text.c_str(), address.bytes.data()) == 1) {
            address.family = family;
            return address;
        }
    }
    return std::nullopt;
}

}  // namespace

http::Response serve_metrics(RequestContext& context) {
    const std::optional<Address> client = parse_address(context.request.remote_addr);
    const auto& allow = context.worker.config.metrics_allow;
    const bool allowed = client && std::any_of(allow.begin(), allow.end(), [&](const auto& entry) {
                             return parse_address(entry) == client;
                         });
    if (!allowed) {
        throw errors::Error(errors::Code::kNotFound);
    }
    http::Response response;
    response.status = 200;
    response.body = metrics::render(WEBPODS_VERSION);
    response.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    response.set_header("Cache-Control", "no-store");
    return response;
}

}  // namespace webpods::handlers
