#include "http/json.hpp"

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

}  // namespace molvault::http
