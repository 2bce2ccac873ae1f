// The auditor's HTTP client (SPEC §12): GETs against one webpods host over Poco::Net, with
// *.localhost resolved to 127.0.0.1 by itself. Knows HTTP, not webpods.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace webpods::audit {

// The request could not be made or answered (connect, TLS, timeout, a bad URL).
class ClientError : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

// scheme://host[:port]/path of a stream, split.
struct StreamUrl {
    std::string scheme;  // http or https
    std::string host;    // lower-case, without port
    std::uint16_t port = 0;
    std::string path;  // "/{stream}", without query

    // Throws ClientError unless text is an http(s) URL with a host and a non-root path and no
    // query, fragment or user info.
    static StreamUrl parse(const std::string& text);
};

struct Answer {
    int status = 0;
    std::string content_type;
    std::string body;
};

class Client {
public:
    // ca_file: PEM of the CAs to trust over https (empty: the system's). A *.localhost host is
    // a development stack with a self-signed certificate: its certificate is not checked (the
    // auditor trusts signatures and proofs, not the transport).
    Client(StreamUrl url, std::string bearer_token, std::string ca_file);

    // GET url.path + target_suffix (e.g. "?checkpoint"); any status. Throws ClientError.
    Answer get(const std::string& target_suffix) const;

    const StreamUrl& url() const { return url_; }

private:
    StreamUrl url_;
    std::string bearer_token_;
    std::string ca_file_;
};

}  // namespace webpods::audit
