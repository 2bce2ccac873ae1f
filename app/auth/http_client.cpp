// One HTTP(S) request to a provider with Poco::Net (TLS 1.2+, peer verified), and its JSON.
#include "auth/http_client.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <array>
#include <memory>
#include <mutex>
#include <typeinfo>

#include "errors/errors.h"
#include "json/recognizer.h"

namespace webpods::auth {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswerSize =
    std::size_t{1024} * 1024;  // a userinfo or token answer is a few KiB

// Where a call went, for the log: scheme, host, port and path, never the query.
std::string endpoint_of(const Poco::URI& uri) {
    return uri.getScheme() + "://" + uri.getAuthority() + uri.getPath();
}

// One TLS client context for the process: peer certificates verified against the system CAs,
// host names checked (Poco's extended verification), TLS 1.2 or newer. Poco reports a failed
// verification to SSLManager's handler, whose default would prompt on the console; the
// RejectCertificateHandler makes it a plain failure.
Poco::Net::Context::Ptr client_context() {
    static std::once_flag once;
    static Poco::Net::Context::Ptr context;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        Poco::Net::Context::Params params;
        params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        params.loadDefaultCAs = true;
        params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
        context = Poco::makeAuto<Poco::Net::Context>(Poco::Net::Context::TLS_CLIENT_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject =
            Poco::makeShared<Poco::Net::RejectCertificateHandler>(false);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
    });
    return context;
}

// One request to a provider; redirects are not followed. Any failure to get a complete answer
// in time becomes OAUTH_ERROR.
ProviderAnswer call_provider(const std::string& method,
                             const std::string& url,
                             const Fields& headers,
                             const std::string& form_body) {
    const Clock::time_point started = Clock::now();
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& error) {
        throw_provider_error("unusable provider URL: " + error.displayText());
    }
    const std::string endpoint = endpoint_of(uri);
    try {
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            session = std::make_unique<Poco::Net::HTTPSClientSession>(
                uri.getHost(), uri.getPort(), client_context());
        } else if (uri.getScheme() == "http") {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        } else {
            throw_provider_error(endpoint + ": not an http(s) URL");
        }
        const Poco::Timespan timeout(static_cast<long>(kProviderTimeout.count()), 0);
        session->setTimeout(timeout, timeout, timeout);

        std::string target = uri.getPathAndQuery();
        if (target.empty()) {
            target = "/";
        }
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        // GitHub refuses API calls without a User-Agent.
        request.set("User-Agent", "webpods/" WEBPODS_VERSION);
        request.set("Accept", "application/json");
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
        if (method == Poco::Net::HTTPRequest::HTTP_POST) {
            request.setContentType("application/x-www-form-urlencoded");
            request.setContentLength(static_cast<std::streamsize>(form_body.size()));
        }
        std::ostream& out = session->sendRequest(request);
        out << form_body;
        out.flush();
        if (!out) {
            throw_provider_error(endpoint + ": sending the request failed");
        }

        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        ProviderAnswer answer;
        answer.status = static_cast<int>(response.getStatus());
        answer.endpoint = endpoint;
        std::array<char, 8192> buffer{};
        while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
            answer.body.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
            if (answer.body.size() > kMaxAnswerSize) {
                throw_provider_error(endpoint + ": answer too large");
            }
            if (Clock::now() - started > 2 * kProviderTimeout) {
                throw_provider_error(endpoint + ": too slow");
            }
        }
        if (in.bad()) {
            throw_provider_error(endpoint + ": reading the answer failed");
        }
        return answer;
    } catch (const errors::Error&) {
        throw;
    } catch (const Poco::Exception& error) {
        throw_provider_error(endpoint + ": " + error.displayText());
    } catch (const std::exception& error) {
        throw_provider_error(endpoint + ": " + error.what());
    }
}

}  // namespace

void throw_provider_error(std::string detail) {
    throw errors::Error(errors::Code::kOAuthUnavailable, {}, std::move(detail));
}

ProviderAnswer provider_get(const std::string& url, const Fields& headers) {
    return call_provider(Poco::Net::HTTPRequest::HTTP_GET, url, headers, {});
}

ProviderAnswer provider_post_form(const std::string& url, const std::string& form_body) {
    return call_provider(Poco::Net::HTTPRequest::HTTP_POST, url, {}, form_body);
}

Poco::JSON::Object::Ptr parse_object(std::string_view text) {
    if (!json::is_valid(text)) {
        return nullptr;
    }
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(text));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            return nullptr;
        }
        return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return nullptr;
    }
}

std::string string_member(const Poco::JSON::Object& object, const std::string& key) {
    const Poco::Dynamic::Var value = object.get(key);
    if (value.isEmpty() || !value.isString()) {
        return {};
    }
    return value.extract<std::string>();
}

}  // namespace webpods::auth
