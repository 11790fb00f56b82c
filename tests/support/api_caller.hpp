#pragma once
// A signed-in user of a running molvault, for end-to-end tests: registers and signs in, then
// sends JSON requests with the bearer token. One instance per thread (it owns a connection).

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"

namespace molvault::test {

constexpr const char* kTestPassword = "Corr3ct-Horse!";

// Registers `email` (password kTestPassword) and signs in; returns the access token. Fails the
// current test (gtest EXPECT) when either step does not succeed.
[[nodiscard]] std::string sign_up(std::uint16_t port, const std::string& email);

class ApiCaller {
public:
    ApiCaller(std::uint16_t port, std::string token) : client_(port), token_(std::move(token)) {}

    // `body` is sent as JSON unless it is null (then no body).
    HttpResponse send(
        const std::string& method, const std::string& target, const nlohmann::json& body = nullptr
    );
    // Sends `body` as it is, with this Content-Type.
    HttpResponse send_raw(
        const std::string& method,
        const std::string& target,
        const std::string& body,
        const std::string& content_type,
        HeaderList extra_headers = {}
    );
    [[nodiscard]] const std::string& token() const { return token_; }

private:
    HttpClient client_;
    std::string token_;
};

}  // namespace molvault::test
