// libfcgi adapter: accept one FastCGI request at a time and translate it to and from http::.
#pragma once

#include <fcgiapp.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

#include "fcgi/records.h"
#include "http/request.h"
#include "http/response.h"

namespace webpods::fcgi {

// The listening socket as one worker process sees it. The socket is non-blocking and shared by
// every worker process; within a process one thread at a time waits on it (the accept mutex,
// as in nginx), so a connection wakes one thread per process, and a waiting thread can look at
// the stop flag between waits. The mutex covers accept(2) only: the request is read after it
// is released, so a connection that sends nothing holds its own thread, never the others.
class Listener {
public:
    explicit Listener(int listen_fd);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

private:
    friend class FcgiRequest;
    // Waits up to `timeout` for a connection and accepts it: the connection's fd, with read and
    // write timeouts set, or -1 (none came, or another thread or process took it).
    int accept_connection(std::chrono::milliseconds timeout);

    int listen_fd_;
    int epoll_fd_;
    std::timed_mutex accept_mutex_;
};

// One accept thread's request slot, and the Output its answers go to.
class FcgiRequest final : public http::Output {
public:
    explicit FcgiRequest(Listener& listener);
    ~FcgiRequest();  // finishes a request still open
    FcgiRequest(const FcgiRequest&) = delete;
    FcgiRequest& operator=(const FcgiRequest&) = delete;
    FcgiRequest(FcgiRequest&&) = delete;
    FcgiRequest& operator=(FcgiRequest&&) = delete;

    // Waits up to `timeout` for a request. true: a request is open until finish().
    bool accept(std::chrono::milliseconds timeout);

    // The request's CGI parameters and body as an http::Request. Throws
    // errors::Error(PAYLOAD_TOO_LARGE) when CONTENT_LENGTH exceeds max_body_size; the body is
    // then not read.
    http::Request read(std::size_t max_body_size) const;

    // The CGI parameter `name` of the open request, empty when absent.
    std::string param(const char* name) const;

    // Writes status, headers and body. For HEAD the body is left to nginx to drop.
    void write(const http::Response& response) const;
    // The same in parts, for an answer streamed as it is produced (http::Output).
    void send_head(const http::Response& response) override;
    void send_body(std::string_view bytes) override;

    // Ends a streamed answer that failed halfway: the connection is shut down without the
    // request's end record (nothing more of the answer, no FCGI_END_REQUEST); finish() then
    // closes it. What the client gets ends inside the JSON text, which no parser takes as
    // whole. (nginx 1.22 closes a buffered chunked answer with its last chunk all the same:
    // doc/operations.md §6.)
    void cut_short() const;

    // Ends the request (FCGX_Finish_r).
    void finish();

    // Hands the open request's connection over, non-blocking, to whoever writes the rest of the
    // answer (fcgi/records.h) and closes it. libfcgi writes nothing more on it and forgets it;
    // the request is no longer open. Anything the web server still sends on it is the new
    // owner's to read (and to ignore). Call it before anything was written.
    Connection detach();

private:
    // Writes bytes to the answer stream, in pieces an int length can hold.
    void put_bytes(std::string_view bytes) const;
    Listener& listener_;
    FCGX_Request request_{};
    bool open_ = false;
};

// Makes the listening socket non-blocking, as FcgiRequest::accept requires.
void prepare_listen_socket(int listen_fd);

}  // namespace webpods::fcgi
