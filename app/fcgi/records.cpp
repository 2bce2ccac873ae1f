// FastCGI record framing (FastCGI specification 1.0, sections 3.3 and 5.5).
#include "fcgi/records.h"

#include <algorithm>

namespace webpods::fcgi {

namespace {

constexpr unsigned char kVersion = 1;
constexpr unsigned char kEndRequest = 3;
constexpr unsigned char kStdout = 6;
constexpr std::size_t kMaxContent = 65535;

// The 8-byte record header: version, type, request id and content length (both big-endian),
// padding length (none), reserved.
void append_header(std::string& out, unsigned char type, int request_id, std::size_t length) {
    const auto id = static_cast<unsigned>(request_id) & 0xFFFFU;
    const auto size = static_cast<unsigned>(length) & 0xFFFFU;
    for (const unsigned byte : {unsigned{kVersion},
                                unsigned{type},
                                id >> 8U,
                                id & 0xFFU,
                                size >> 8U,
                                size & 0xFFU,
                                0U,
                                0U}) {
        out.push_back(static_cast<char>(byte));
    }
}

}  // namespace

std::string cgi_head(const http::Response& response) {
    std::string head = "Status: " + std::to_string(response.status) + " " +
                       std::string(http::reason_phrase(response.status)) + "\r\n";
    for (const auto& [name, value] : response.headers) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

void append_stdout(std::string& out, int request_id, std::string_view bytes) {
    while (!bytes.empty()) {
        const std::size_t piece = std::min(bytes.size(), kMaxContent);
        append_header(out, kStdout, request_id, piece);
        out.append(bytes.substr(0, piece));
        bytes.remove_prefix(piece);
    }
}

void append_end(std::string& out, int request_id) {
    append_header(out, kStdout, request_id, 0);
    append_header(out, kEndRequest, request_id, 8);
    // appStatus (4 bytes, big-endian) 0, protocolStatus FCGI_REQUEST_COMPLETE (0), reserved.
    out.append(8, '\0');
}

}  // namespace webpods::fcgi
