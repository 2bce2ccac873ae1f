// GETs for the auditor over Poco::Net: one connection per request, bounded in time.
#include "audit/client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <array>
#include <memory>
#include <mutex>

#include "encoding/encoding.h"

namespace webpods::audit {

namespace {

// Connect, send and each receive give up after this long.
constexpr long kTimeoutSeconds = 30;

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// RFC 6761: localhost and its subdomains are loopback, whatever DNS says (or does not say).
bool is_localhost(std::string_view host) {
    return host == "localhost" || ends_with(host, ".localhost");
}

// Poco reports a certificate that fails verification to SSLManager's handler, whose default
// would prompt on the console; RejectCertificateHandler makes it a plain failure.
void initialize_tls() {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject =
            Poco::makeShared<Poco::Net::RejectCertificateHandler>(false);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, nullptr);
    });
}

Poco::Net::Context::Ptr tls_context(const std::string& host, const std::string& ca_file) {
    initialize_tls();
    Poco::Net::Context::Params params;
    params.verificationMode =
        is_localhost(host) ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED;
    params.caLocation = ca_file;
    params.loadDefaultCAs = ca_file.empty();
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
    auto context = Poco::makeAuto<Poco::Net::Context>(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
}

}  // namespace

StreamUrl StreamUrl::parse(const std::string& text) {
    Poco::URI uri;
    try {
        uri = Poco::URI(text);
    } catch (const Poco::Exception& error) {
        throw ClientError("not a URL: " + error.displayText());
    }
    StreamUrl url;
    url.scheme = uri.getScheme();
    url.host = encoding::ascii_lower(uri.getHost());
    url.port = uri.getPort();
    url.path = uri.getPath();
    if ((url.scheme != "http" && url.scheme != "https") || url.host.empty()) {
        throw ClientError("not an http(s) URL: " + text);
    }
    if (url.path.size() < 2 || url.path.front() != '/' || !uri.getRawQuery().empty() ||
        !uri.getFragment().empty() || !uri.getUserInfo().empty()) {
        throw ClientError("expected the URL of a stream, http(s)://{pod}.{domain}/{stream}: " +
                          text);
    }
    // Stream ids have no '%' (SPEC §1): the decoded path is the one the service names.
    if (text.find('%') != std::string::npos) {
        throw ClientError("a stream URL has no '%': " + text);
    }
    return url;
}

Client::Client(StreamUrl url, std::string bearer_token, std::string ca_file)
    : url_(std::move(url)), bearer_token_(std::move(bearer_token)), ca_file_(std::move(ca_file)) {}

Answer Client::get(const std::string& target_suffix) const {
    const std::string address = is_localhost(url_.host) ? "127.0.0.1" : url_.host;
    const Poco::Timespan timeout(kTimeoutSeconds, 0);
    try {
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (url_.scheme == "https") {
            // The socket is made here so that the TLS handshake names the real host (SNI)
            // while it connects to the address resolved above. It is connected only once the
            // session holds it: Poco's session refuses an already connected socket.
            Poco::Net::SecureStreamSocket socket(tls_context(url_.host, ca_file_));
            socket.setPeerHostName(url_.host);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(socket);
            socket.connect(Poco::Net::SocketAddress(address, url_.port), timeout);
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(address, url_.port);
        }
        session->setTimeout(timeout, timeout, timeout);
        Poco::Net::HTTPRequest request(
            Poco::Net::HTTPRequest::HTTP_GET, url_.path + target_suffix, "HTTP/1.1");
        request.setHost(url_.host, url_.port);
        request.set("User-Agent", "webpodsctl-audit/" WEBPODS_VERSION);
        request.setKeepAlive(false);
        if (!bearer_token_.empty()) {
            request.set("Authorization", "Bearer " + bearer_token_);
        }
        session->sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        Answer answer;
        answer.status = static_cast<int>(response.getStatus());
        answer.content_type = response.getContentType();
        std::array<char, 65536> buffer{};
        while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
            answer.body.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
        }
        if (in.bad()) {
            throw ClientError(url_.host + ": reading the answer failed");
        }
        return answer;
    } catch (const Poco::Exception& error) {
        throw ClientError(url_.scheme + "://" + url_.host + ":" + std::to_string(url_.port) + ": " +
                          error.displayText());
    }
}

}  // namespace webpods::audit
