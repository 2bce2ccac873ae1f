// FastCGI request translation: CGI params to http::Request, http::Response to the wire.
#include "fcgi/fcgi_request.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>

#include "encoding/encoding.h"
#include "errors/errors.h"

namespace webpods::fcgi {

namespace {

// nginx sends a request whole (it buffers the body first) and reads answers as they come, so a
// read or write that makes no progress for this long means a peer that is not nginx, or is
// stuck: the connection is dropped and the thread serves others. libfcgi's own accept drops a
// unix connection silent for 2 s, but only after holding the listener all that time.
constexpr std::chrono::seconds kReadTimeout{5};
constexpr std::chrono::seconds kWriteTimeout{30};

void set_timeout(int fd, int option, std::chrono::seconds timeout) {
    timeval value{};
    value.tv_sec = static_cast<time_t>(timeout.count());
    setsockopt(fd, SOL_SOCKET, option, &value, sizeof(value));
}

// "HTTP_X_CONTENT_TYPE" -> "x-content-type".
std::string header_name(std::string_view cgi_name) {
    std::string name = encoding::ascii_lower(cgi_name);
    std::replace(name.begin(), name.end(), '_', '-');
    return name;
}

// Host header without port, lower-cased; "[::1]:80" keeps its brackets.
std::string host_of(std::string_view host) {
    const std::size_t bracket = host.rfind(']');
    const std::size_t colon = host.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = host.substr(0, colon);
    }
    std::string text = encoding::ascii_lower(host);
    if (!text.empty() && text.back() == '.') {
        text.pop_back();
    }
    return text;
}

}  // namespace

void prepare_listen_socket(int listen_fd) {
    const int flags = fcntl(listen_fd, F_GETFL, 0);
    if (flags >= 0) {
        fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
    }
}

Listener::Listener(int listen_fd) : listen_fd_(listen_fd), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listen_fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd, &event);
}

Listener::~Listener() {
    if (epoll_fd_ >= 0) {
        close(epoll_fd_);
    }
}

int Listener::accept_connection(std::chrono::milliseconds timeout) {
    std::unique_lock<std::timed_mutex> turn(accept_mutex_, std::defer_lock);
    if (!turn.try_lock_for(timeout)) {
        return -1;
    }
    epoll_event event{};
    if (epoll_wait(epoll_fd_, &event, 1, static_cast<int>(timeout.count())) <= 0) {
        return -1;
    }
    // Non-blocking listener: another process may have taken the connection (EAGAIN). The
    // accepted socket itself is blocking (Linux does not inherit O_NONBLOCK).
    const int connection = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
        return -1;
    }
    set_timeout(connection, SO_RCVTIMEO, kReadTimeout);
    set_timeout(connection, SO_SNDTIMEO, kWriteTimeout);
    return connection;
}

// libfcgi gets no listening socket (-1): it reads the connections this thread accepted and
// never accepts by itself, which it would do holding nothing of ours but blocking all the same.
FcgiRequest::FcgiRequest(Listener& listener) : listener_(listener) {
    FCGX_InitRequest(&request_, -1, 0);
}

FcgiRequest::~FcgiRequest() {
    if (open_) {
        finish();
    }
    FCGX_Free(&request_, 1);
}

bool FcgiRequest::accept(std::chrono::milliseconds timeout) {
    // A connection kept open by the web server is read again; otherwise accept a new one, and
    // read its request after the accept mutex is released.
    if (request_.ipcFd < 0) {
        const int connection = listener_.accept_connection(timeout);
        if (connection < 0) {
            return false;
        }
        request_.ipcFd = connection;
        // FCGX_Accept_r first finishes the previous request, closing ipcFd unless it is a kept
        // connection; the BEGIN_REQUEST record then sets keepConnection as the server asks.
        request_.keepConnection = 1;
    }
    // On a connection without a request (closed, silent past kReadTimeout, not FastCGI) libfcgi
    // closes it and fails, as it has no listening socket to accept another from.
    if (FCGX_Accept_r(&request_) < 0) {
        return false;
    }
    open_ = true;
    return true;
}

std::string FcgiRequest::param(const char* name) const {
    const char* value = FCGX_GetParam(name, request_.envp);
    return value != nullptr ? std::string(value) : std::string{};
}

http::Request FcgiRequest::read(std::size_t max_body_size) const {
    http::Request request;
    std::string content_length;
    for (char** param = request_.envp; param != nullptr && *param != nullptr; ++param) {
        const std::string_view entry(*param);
        const std::size_t equals = entry.find('=');
        if (equals == std::string_view::npos) {
            continue;
        }
        const std::string_view name = entry.substr(0, equals);
        const std::string_view value = entry.substr(equals + 1);
        if (name == "REQUEST_METHOD") {
            request.method = http::parse_method(value);
        } else if (name == "REQUEST_URI") {
            const std::size_t question = value.find('?');
            request.path = std::string(value.substr(0, question));
            if (question != std::string_view::npos) {
                request.query_string = std::string(value.substr(question + 1));
            }
        } else if (name == "REMOTE_ADDR") {
            request.remote_addr = std::string(value);
        } else if (name == "SERVER_PORT") {
            request.server_port = std::string(value);
        } else if (name == "HTTPS") {
            request.https = value == "on";
        } else if (name == "CONTENT_TYPE") {
            request.headers["content-type"] = std::string(value);
        } else if (name == "CONTENT_LENGTH") {
            content_length = std::string(value);
            request.headers["content-length"] = content_length;
        } else if (name.substr(0, 5) == "HTTP_") {
            request.headers[header_name(name.substr(5))] = std::string(value);
        }
    }
    request.host = host_of(request.header("host"));

    std::size_t expected = 0;
    if (!content_length.empty()) {
        const char* end = content_length.data() + content_length.size();
        const auto [stopped, error] = std::from_chars(content_length.data(), end, expected);
        if (error != std::errc() || stopped != end) {
            throw errors::Error(errors::Code::kInvalidInput, "Invalid Content-Length");
        }
    }
    if (expected > max_body_size) {
        throw errors::Error(errors::Code::kPayloadTooLarge);
    }
    request.body.resize(expected);
    std::size_t received = 0;
    while (received < expected) {
        const int chunk = FCGX_GetStr(
            &request.body[received], static_cast<int>(expected - received), request_.in);
        if (chunk <= 0) {
            break;
        }
        received += static_cast<std::size_t>(chunk);
    }
    if (received < expected) {
        throw errors::Error(errors::Code::kInvalidInput, "Request body ended early");
    }
    return request;
}

void FcgiRequest::write(const http::Response& response) const {
    put_bytes(cgi_head(response));
    put_bytes(response.body);
}

void FcgiRequest::send_head(const http::Response& response) {
    // A streamed answer leaves before the worker could add its request id (SPEC §13).
    const std::string request_id = param("REQUEST_ID");
    if (request_id.empty()) {
        put_bytes(cgi_head(response));
        return;
    }
    http::Response head;
    head.status = response.status;
    head.headers = response.headers;
    head.set_header("X-Request-Id", request_id);
    put_bytes(cgi_head(head));
}

void FcgiRequest::send_body(std::string_view bytes) { put_bytes(bytes); }

void FcgiRequest::cut_short() const {
    if (request_.ipcFd >= 0) {
        shutdown(request_.ipcFd, SHUT_RDWR);
    }
}

void FcgiRequest::put_bytes(std::string_view bytes) const {
    // FCGX_PutStr takes an int length: a larger answer goes out in pieces, never as a negative
    // length.
    static constexpr std::size_t kMaxPiece = std::size_t{1} << 30U;
    while (!bytes.empty()) {
        const std::size_t piece = std::min(bytes.size(), kMaxPiece);
        if (FCGX_PutStr(bytes.data(), static_cast<int>(piece), request_.out) < 0) {
            return;  // the client is gone; after the first byte an error can only be logged
        }
        bytes.remove_prefix(piece);
    }
}

void FcgiRequest::finish() {
    FCGX_Finish_r(&request_);
    open_ = false;
}

Connection FcgiRequest::detach() {
    const Connection connection{request_.ipcFd, request_.requestId};
    // FCGX_Free without `close` frees the streams (their buffers are dropped, never flushed:
    // nothing was written) and the parameters, and leaves the descriptor alone; forgetting it
    // makes the next accept() take a new connection.
    FCGX_Free(&request_, 0);
    request_.ipcFd = -1;
    open_ = false;
    const int flags = fcntl(connection.fd, F_GETFL, 0);
    if (flags >= 0) {
        fcntl(connection.fd, F_SETFL, flags | O_NONBLOCK);
    }
    return connection;
}

}  // namespace webpods::fcgi
