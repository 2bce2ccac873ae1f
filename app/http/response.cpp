// Responses: the single place where an error kind becomes an HTTP status.
#include "http/response.h"

#include "json/writer.h"

namespace webpods::http {

int status_of(errors::Kind kind) {
    switch (kind) {
        case errors::Kind::kInvalidInput:
            return 400;
        case errors::Kind::kUnauthenticated:
            return 401;
        case errors::Kind::kForbidden:
            return 403;
        case errors::Kind::kNotFound:
            return 404;
        case errors::Kind::kMethodNotAllowed:
            return 405;
        case errors::Kind::kConflict:
            return 409;
        case errors::Kind::kPreconditionFailed:
            return 412;
        case errors::Kind::kPayloadTooLarge:
            return 413;
        case errors::Kind::kUnprocessable:
            return 422;
        case errors::Kind::kRateLimited:
            return 429;
        case errors::Kind::kUnavailable:
            return 503;
        case errors::Kind::kInternal:
            return 500;
    }
    return 500;
}

void Response::set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
}

Response Response::json(int status, std::string body) {
    Response response;
    response.status = status;
    response.set_header("Content-Type", "application/json");
    response.body = std::move(body);
    return response;
}

Response Response::empty(int status) {
    Response response;
    response.status = status;
    return response;
}

Response Response::redirect(std::string location) {
    Response response;
    response.status = 302;
    response.set_header("Location", std::move(location));
    return response;
}

Response error_response(const errors::Error& error) {
    json::Writer body;
    body.begin_object()
        .key("error")
        .begin_object()
        .key("code")
        .string(error.public_code())
        .key("message")
        .string(error.message())
        .end_object()
        .end_object();
    Response response = Response::json(status_of(error.kind()), std::move(body).take());
    for (const auto& [name, value] : error.headers()) {
        response.set_header(name, value);
    }
    return response;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 429:
            return "Too Many Requests";
        case 503:
            return "Service Unavailable";
        default:
            return status < 500 ? "Client Error" : "Server Error";
    }
}

}  // namespace webpods::http
