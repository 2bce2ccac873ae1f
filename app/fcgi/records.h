// FastCGI records written by hand, for answers that outlive their accept thread (SPEC §11): the
// live hub writes them on a connection FcgiRequest::detach handed over. No I/O here.
#pragma once

#include <string>
#include <string_view>

#include "http/response.h"

namespace webpods::fcgi {

// A connection taken over from libfcgi in the middle of a request: the socket (non-blocking,
// owned by whoever holds this) and the FastCGI request id the answer is written under.
struct Connection {
    int fd = -1;
    int request_id = 0;
};

// The CGI head of a response: "Status: 200 OK\r\n", each header as "Name: value\r\n", a blank
// line.
std::string cgi_head(const http::Response& response);

// Appends `bytes` to `out` as FCGI_STDOUT records of request_id, 65535 bytes of content at most
// each; nothing for no bytes (an empty record would end the stream).
void append_stdout(std::string& out, int request_id, std::string_view bytes);

// Appends the end of an answer: the empty FCGI_STDOUT record that closes the stream, then
// FCGI_END_REQUEST with application status 0 and FCGI_REQUEST_COMPLETE.
void append_end(std::string& out, int request_id);

}  // namespace webpods::fcgi
