// Validation of the identifiers that arrive in hosts, paths and queries (SPEC §2). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace webpods::ids {

// SPEC §1: the host is the domain itself, one label under it (a pod, valid or not), or
// anything else.
enum class HostKind { kMainDomain, kPod, kInvalidPod, kUnknown };

struct HostClass {
    HostKind kind = HostKind::kUnknown;
    std::string pod;  // for kPod
};

// `host` as nginx passes it ($host: lower-cased, no port) against the configured domain.
HostClass classify_host(std::string_view host, std::string_view domain);

// ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$, 1..63 characters.
bool is_valid_pod_id(std::string_view pod_id);

// 1..256 characters of [A-Za-z0-9_./-], no empty, "." or ".." segment.
bool is_valid_stream_id(std::string_view stream_id);

// 1..256 characters of [A-Za-z0-9_.-], not starting or ending with '.'.
bool is_valid_alias(std::string_view alias);

// An Idempotency-Key (SPEC §11): 1..128 printable ASCII characters (0x20-0x7E).
bool is_valid_idempotency_key(std::string_view key);

// A whole decimal integer with optional '-', fitting in int64; nullopt otherwise.
std::optional<long long> parse_integer(std::string_view text);

// The `i` query parameter: a single index or a half-open range A:B (either may be negative).
struct IndexQuery {
    long long first = 0;
    std::optional<long long> end;  // set for a range
};
std::optional<IndexQuery> parse_index_query(std::string_view text);

}  // namespace webpods::ids
