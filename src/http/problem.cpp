#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace molvault::http {
namespace {

std::string_view title_for(int code) {
    switch (code) {
        case status::kBadRequest:
            return "Bad Request";
        case status::kUnauthorized:
            return "Unauthorized";
        case status::kForbidden:
            return "Forbidden";
        case status::kNotFound:
            return "Not Found";
        case status::kMethodNotAllowed:
            return "Method Not Allowed";
        case status::kConflict:
            return "Conflict";
        case status::kPayloadTooLarge:
            return "Content Too Large";
        case status::kUnsupportedMediaType:
            return "Unsupported Media Type";
        case status::kUnprocessableEntity:
            return "Unprocessable Content";
        case status::kTooManyRequests:
            return "Too Many Requests";
        case status::kHeadersTooLarge:
            return "Request Header Fields Too Large";
        case status::kServiceUnavailable:
            return "Service Unavailable";
        default:
            return "Internal Server Error";
    }
}

Response make(
    int code, std::string_view detail, std::string_view request_id, nlohmann::json extra
) {
    nlohmann::json body = {
        {"type", "about:blank"},
        {"title", title_for(code)},
        {"status", code},
        {"detail", detail},
        {"request_id", request_id},
    };
    if (extra.is_object()) {
        body.update(extra);
    }
    Response response;
    response.status = code;
    response.set("Content-Type", "application/problem+json");
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

}  // namespace

int status_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::kBadRequest:
            return status::kBadRequest;
        case ErrorCode::kValidation:
            return status::kUnprocessableEntity;
        case ErrorCode::kUnauthorized:
            return status::kUnauthorized;
        case ErrorCode::kForbidden:
            return status::kForbidden;
        case ErrorCode::kNotFound:
            return status::kNotFound;
        case ErrorCode::kMethodNotAllowed:
            return status::kMethodNotAllowed;
        case ErrorCode::kConflict:
            return status::kConflict;
        case ErrorCode::kPayloadTooLarge:
            return status::kPayloadTooLarge;
        case ErrorCode::kUnsupportedMediaType:
            return status::kUnsupportedMediaType;
        case ErrorCode::kHeadersTooLarge:
            return status::kHeadersTooLarge;
        case ErrorCode::kRateLimited:
            return status::kTooManyRequests;
        case ErrorCode::kUnavailable:
            return status::kServiceUnavailable;
    }
    return status::kInternalServerError;
}

Response problem_response(const Error& error, std::string_view request_id) {
    nlohmann::json extra = nlohmann::json::object();
    if (!error.fields().empty()) {
        auto& errors = extra["errors"] = nlohmann::json::array();
        for (const auto& field : error.fields()) {
            nlohmann::json item = {{"field", field.field}, {"message", field.message}};
            if (!field.code.empty()) {
                item["code"] = field.code;
            }
            if (field.atom_index) {
                item["atom_index"] = *field.atom_index;
            }
            errors.push_back(std::move(item));
        }
    }
    for (const auto& [key, value] : error.extensions()) {
        extra[key] = value;
    }
    auto response = make(status_for(error.code()), error.what(), request_id, std::move(extra));
    if (const auto delay = error.retry_after()) {
        response.set("Retry-After", std::to_string(delay->count()));
    }
    return response;
}

Response problem_response(int status, std::string_view detail, std::string_view request_id) {
    return make(status, detail, request_id, nullptr);
}

}  // namespace molvault::http
