// Fuzzes pod id, stream id and alias validation against regular expressions of SPEC §2, and host
// classification (SPEC §1).
#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>

#include "ids/ids.h"
#include "property.h"

namespace {

namespace ids = webpods::ids;
using webpods::fuzz::expect;

// The ids are short (at most 256 bytes); longer texts are only checked to be refused, which
// also keeps std::regex, whose matcher recurses per character, off long inputs.
constexpr std::size_t kMaxChecked = 300;

bool matches(const std::regex& pattern, std::string_view text) {
    return std::regex_match(text.begin(), text.end(), pattern);
}

void check(std::string_view text) {
    static const std::regex pod_id_pattern("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
    static const std::regex stream_id_pattern(
        R"((?!\.\.?(/|$))[A-Za-z0-9_.-]+(/(?!\.\.?(/|$))[A-Za-z0-9_.-]+)*)");
    static const std::regex alias_pattern("[A-Za-z0-9_-]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?");

    const bool pod = ids::is_valid_pod_id(text);
    const bool stream = ids::is_valid_stream_id(text);
    const bool alias = ids::is_valid_alias(text);

    // Each alphabet is a subset of the next, so validity carries over.
    expect(!pod || alias, "a valid pod id is not a valid alias");
    expect(!alias || stream, "a valid alias is not a valid stream id");
    // Paths are judged raw, so a stream id can never hold an escape or a traversal.
    expect(!stream || text.find('%') == std::string_view::npos, "stream id with '%'");
    expect(!stream || text.size() <= 256, "stream id longer than 256");
    expect(!pod || text.size() <= 63, "pod id longer than 63");

    if (text.size() > kMaxChecked) {
        expect(!pod && !stream && !alias, "an over-long id was accepted");
        return;
    }
    expect(pod == (text.size() <= 63 && matches(pod_id_pattern, text)),
           "pod id differs from regex");
    expect(stream == (text.size() <= 256 && matches(stream_id_pattern, text)),
           "stream id differs from regex");
    expect(alias == (text.size() <= 256 && matches(alias_pattern, text)),
           "alias differs from regex");
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = webpods::fuzz::text_of(data, size);
    check(input);
    // A request path is "/" + stream id: the router strips exactly one slash.
    if (!input.empty() && input.front() == '/') check(input.substr(1));
    // As a host: a pod host's label is exactly a valid pod id, and the main domain is only the
    // domain itself.
    static constexpr std::string_view kDomain = "webpods.localhost";
    const ids::HostClass host = ids::classify_host(input, kDomain);
    expect(host.kind != ids::HostKind::kPod || ids::is_valid_pod_id(host.pod), "invalid pod label");
    expect(host.kind != ids::HostKind::kPod || input == host.pod + "." + std::string(kDomain),
           "pod host is not its label under the domain");
    expect((host.kind == ids::HostKind::kMainDomain) == (input == kDomain), "main domain misread");
    return 0;
}
