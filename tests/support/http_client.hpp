#pragma once
// A blocking HTTP/1.1 client for end-to-end tests (Beast), and a raw TCP connection for tests
// that must send malformed or slow requests. One instance per thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace molvault::test {

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> header_all(std::string_view name) const;
    [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body); }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
public:
    explicit HttpClient(std::uint16_t port);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends one request on a kept-alive connection (reconnecting if the server closed it).
    HttpResponse request(
        const std::string& method,
        const std::string& target,
        const std::string& body = "",
        const HeaderList& headers = {}
    );
    HttpResponse get(const std::string& target, const HeaderList& headers = {}) {
        return request("GET", target, "", headers);
    }
    HttpResponse post_json(
        const std::string& target, const nlohmann::json& body, const HeaderList& headers = {}
    );

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A plain TCP connection to 127.0.0.1:port.
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // False if the peer has closed the connection.
    bool send(std::string_view bytes);
    // Reads until the peer closes or `timeout` passes; returns what arrived.
    std::string read_until_closed(std::chrono::milliseconds timeout);
    // Reads until what arrived contains `marker`, the peer closes, or `timeout` passes; returns
    // what arrived (possibly more than up to the marker).
    std::string read_until(std::string_view marker, std::chrono::milliseconds timeout);
    // True when the peer closed the connection within `timeout`.
    bool closed_within(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
};

}  // namespace molvault::test
