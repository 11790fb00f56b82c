#include "http/json.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"

namespace molvault::http {

nlohmann::json parse_json_object(const Request& request) {
    const auto content_type = request.header("Content-Type").value_or("");
    const auto media_type = content_type.substr(0, content_type.find(';'));
    if (!iequals(media_type, "application/json")) {
        throw Error(ErrorCode::kUnsupportedMediaType, "Send the body as application/json");
    }
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
        throw Error(ErrorCode::kBadRequest, "The body is not valid JSON");
    }
    if (!body.is_object()) {
        throw validation_error("body", "must be a JSON object");
    }
    return body;
}

Response json_response(int status, const nlohmann::json& body) {
    Response response;
    response.status = status;
    response.set("Content-Type", "application/json");
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

void reject_unknown_fields(
    const nlohmann::json& body, std::initializer_list<std::string_view> allowed
) {
    std::vector<FieldError> unknown;
    for (const auto& [key, value] : body.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            unknown.push_back({key, "is not a recognised field"});
        }
    }
    if (!unknown.empty()) {
        throw Error(ErrorCode::kValidation, "The request is invalid", std::move(unknown));
    }
}

std::optional<std::string> optional_string_field(const nlohmann::json& body, const char* name) {
    const auto it = body.find(name);
    if (it == body.end()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        throw validation_error(name, "must be a string");
    }
    return it->get<std::string>();
}

std::string required_string_field(const nlohmann::json& body, const char* name) {
    auto value = optional_string_field(body, name);
    if (!value) {
        throw validation_error(name, "is required and must be a string");
    }
    return std::move(*value);
}

std::string required_string(const nlohmann::json& body, const char* name, std::size_t max_bytes) {
    auto value = required_string_field(body, name);
    if (value.size() > max_bytes) {
        throw validation_error(name, "is too long");
    }
    return value;
}

std::optional<bool> optional_bool_field(const nlohmann::json& body, const char* name) {
    const auto it = body.find(name);
    if (it == body.end()) {
        return std::nullopt;
    }
    if (!it->is_boolean()) {
        throw validation_error(name, "must be true or false");
    }
    return it->get<bool>();
}

std::optional<std::int64_t> optional_integer_field(
    const nlohmann::json& body, const char* name, std::int64_t min, std::int64_t max
) {
    const auto it = body.find(name);
    if (it == body.end()) {
        return std::nullopt;
    }
    // A large positive number is held unsigned; one beyond int64 is out of every range here.
    const bool fits = it->is_number_unsigned()
                          ? it->get<std::uint64_t>() <=
                                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                          : it->is_number_integer();
    if (!fits || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
        throw validation_error(name, fmt::format("must be an integer from {} to {}", min, max));
    }
    return it->get<std::int64_t>();
}

std::optional<double> optional_number_field(
    const nlohmann::json& body, const char* name, double min, double max
) {
    const auto it = body.find(name);
    if (it == body.end()) {
        return std::nullopt;
    }
    if (!it->is_number() || it->get<double>() < min || it->get<double>() > max) {
        throw validation_error(name, fmt::format("must be a number from {} to {}", min, max));
    }
    return it->get<double>();
}

}  // namespace molvault::http
