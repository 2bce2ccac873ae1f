// An HTTP response under construction, and the JSON error envelope.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors/errors.h"

namespace webpods::live {
struct Subscription;  // live/subscription.h
}

namespace webpods::http {

// Takes the pieces of a body that is written while it is produced.
using BodySink = std::function<void(std::string_view)>;

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Set on an answer whose body is written as it is produced (SPEC §10: the rows of a list go
    // to the client as PostgreSQL hands them over, never all held): the pipeline sends the head,
    // then calls produce_body with a sink for the body's pieces while the request's transaction
    // is still open. `body` stays empty.
    std::function<void(const BodySink&)> produce_body;
    // The answer went out already (a streamed one): nothing is left to write.
    bool sent = false;
    // Set on a live read (SPEC §11): instead of writing and finishing the answer, the worker
    // hands the connection, this response and the subscription to its live hub (live/hub.h).
    std::shared_ptr<const live::Subscription> subscription;

    void set_header(std::string name, std::string value);

    // A JSON answer: body must already be JSON text.
    static Response json(int status, std::string body);
    // 204 No Content.
    static Response empty(int status);
    // 302 to a location that the caller has already checked.
    static Response redirect(std::string location);
};

// Where an answer goes: the worker's FastCGI request. A streamed answer is written through it
// by the pipeline; every other answer by the worker once the request is done.
class Output {
public:
    virtual void send_head(const Response& response) = 0;  // status line and headers
    virtual void send_body(std::string_view bytes) = 0;

protected:
    Output() = default;
    ~Output() = default;
    Output(const Output&) = default;
    Output& operator=(const Output&) = default;
};

// A streamed answer failed after its head went out: no error envelope can follow, so the
// worker cuts the connection and nginx ends the client's answer unfinished, never complete.
class AnswerCutShort : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The envelope {"error":{"code":..,"message":..}} for an error, with its status.
Response error_response(const errors::Error& error);

// The HTTP status of an error kind.
int status_of(errors::Kind kind);

// The reason phrase for a status ("Not Found").
std::string_view reason_phrase(int status);

}  // namespace webpods::http
