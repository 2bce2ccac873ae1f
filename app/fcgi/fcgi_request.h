// libfcgi adapter: accept one FastCGI request at a time and translate it to and from http::.
#pragma once

#include <fcgiapp.h>

#include <chrono>
#include <cstddef>

#include "http/request.h"
#include "http/response.h"

namespace webpods::fcgi {

// One accept thread's request slot. The listening socket is non-blocking and shared by every
// worker process; each thread waits on it through its own epoll instance registered with
// EPOLLEXCLUSIVE, so a new connection wakes one thread instead of all of them.
class FcgiRequest {
public:
    explicit FcgiRequest(int listen_fd);
    ~FcgiRequest();  // closes the epoll instance and finishes a request still open
    FcgiRequest(const FcgiRequest&) = delete;
    FcgiRequest& operator=(const FcgiRequest&) = delete;

    // Waits up to `timeout` for a request. true: a request is open until finish().
    bool accept(std::chrono::milliseconds timeout);

    // The request's CGI parameters and body as an http::Request. Throws
    // http::Error(PAYLOAD_TOO_LARGE) when CONTENT_LENGTH exceeds max_body_size; the body is
    // then not read.
    http::Request read(std::size_t max_body_size);

    // Writes status, headers and body. For HEAD the body is left to nginx to drop.
    void write(const http::Response& response);

    // Ends the request (FCGX_Finish_r).
    void finish();

private:
    FCGX_Request request_{};
    int epoll_fd_ = -1;
    bool open_ = false;
};

// Makes the listening socket non-blocking, as FcgiRequest::accept requires.
void prepare_listen_socket(int listen_fd);

}  // namespace webpods::fcgi
