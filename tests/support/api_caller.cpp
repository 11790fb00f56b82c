#include "support/api_caller.hpp"

#include <gtest/gtest.h>

namespace molvault::test {

std::string sign_up(std::uint16_t port, const std::string& email) {
    HttpClient client(port);
    const auto registered =
        client.post_json("/api/v1/auth/register", {{"email", email}, {"password", kTestPassword}});
    EXPECT_EQ(registered.status, 201) << registered.body;
    const auto signed_in =
        client.post_json("/api/v1/auth/login", {{"email", email}, {"password", kTestPassword}});
    EXPECT_EQ(signed_in.status, 200) << signed_in.body;
    return signed_in.json().value("access_token", "");
}

HttpResponse ApiCaller::send(
    const std::string& method, const std::string& target, const nlohmann::json& body
) {
    if (body.is_null()) {
        return client_.request(method, target, "", {{"Authorization", "Bearer " + token_}});
    }
    return send_raw(method, target, body.dump(), "application/json");
}

HttpResponse ApiCaller::send_raw(
    const std::string& method,
    const std::string& target,
    const std::string& body,
    const std::string& content_type,
    HeaderList extra_headers
) {
    extra_headers.emplace_back("Authorization", "Bearer " + token_);
    extra_headers.emplace_back("Content-Type", content_type);
    return client_.request(method, target, body, extra_headers);
}

}  // namespace molvault::test
