// Identifier and index-expression validation.
#include "ids/ids.h"

#include <algorithm>
#include <charconv>

namespace webpods::ids {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

constexpr std::size_t kMaxPodId = 63;
constexpr std::size_t kMaxStreamId = 256;
constexpr std::size_t kMaxAlias = 256;

}  // namespace

bool is_valid_pod_id(std::string_view pod_id) {
    if (pod_id.empty() || pod_id.size() > kMaxPodId) {
        return false;
    }
    if (!is_lower_alnum(pod_id.front()) || !is_lower_alnum(pod_id.back())) {
        return false;
    }
    return std::all_of(
        pod_id.begin(), pod_id.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

bool is_valid_stream_id(std::string_view stream_id) {
    if (stream_id.empty() || stream_id.size() > kMaxStreamId) {
        return false;
    }
    for (const char c : stream_id) {
        if (!is_alnum(c) && c != '_' && c != '.' && c != '/' && c != '-') {
            return false;
        }
    }
    std::size_t start = 0;
    while (start <= stream_id.size()) {
        const std::size_t slash = stream_id.find('/', start);
        const std::size_t end = slash == std::string_view::npos ? stream_id.size() : slash;
        const std::string_view segment = stream_id.substr(start, end - start);
        if (segment.empty() || segment == "." || segment == "..") {
            return false;
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return true;
}

bool is_valid_alias(std::string_view alias) {
    if (alias.empty() || alias.size() > kMaxAlias) {
        return false;
    }
    if (alias.front() == '.' || alias.back() == '.') {
        return false;
    }
    return std::all_of(alias.begin(), alias.end(), [](char c) {
        return is_alnum(c) || c == '_' || c == '.' || c == '-';
    });
}

bool is_valid_idempotency_key(std::string_view key) {
    constexpr std::size_t kMaxIdempotencyKey = 128;
    return !key.empty() && key.size() <= kMaxIdempotencyKey &&
           std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::optional<long long> parse_integer(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    long long value = 0;
    const char* end = text.data() + text.size();
    const auto [stopped, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || stopped != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<IndexQuery> parse_index_query(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        const auto index = parse_integer(text);
        if (!index) {
            return std::nullopt;
        }
        return IndexQuery{*index, std::nullopt};
    }
    const auto first = parse_integer(text.substr(0, colon));
    const auto end = parse_integer(text.substr(colon + 1));
    if (!first || !end) {
        return std::nullopt;
    }
    return IndexQuery{*first, *end};
}

HostClass classify_host(std::string_view host, std::string_view domain) {
    if (host == domain) {
        return {HostKind::kMainDomain, {}};
    }
    if (host.size() > domain.size() + 1 && host.substr(host.size() - domain.size()) == domain &&
        host[host.size() - domain.size() - 1] == '.') {
        const std::string_view label = host.substr(0, host.size() - domain.size() - 1);
        if (label.find('.') != std::string_view::npos) {
            return {HostKind::kUnknown, {}};
        }
        if (!is_valid_pod_id(label)) {
            return {HostKind::kInvalidPod, {}};
        }
        return {HostKind::kPod, std::string(label)};
    }
    return {HostKind::kUnknown, {}};
}

}  // namespace webpods::ids
