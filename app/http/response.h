// An HTTP response under construction, and the JSON error envelope.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errors/errors.h"

namespace webpods::live {
struct Subscription;  // live/subscription.h
}

namespace webpods::http {

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
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

// The envelope {"error":{"code":..,"message":..}} for an error, with its status.
Response error_response(const errors::Error& error);

// The HTTP status of an error kind.
int status_of(errors::Kind kind);

// The reason phrase for a status ("Not Found").
std::string_view reason_phrase(int status);

}  // namespace webpods::http
