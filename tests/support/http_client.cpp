#include "support/http_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace molvault::test {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string> HttpResponse::header_all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) {
            out.push_back(value);
        }
    }
    return out;
}

struct HttpClient::Impl {
    explicit Impl(std::uint16_t server_port) : port(server_port) {}

    void connect() {
        stream = std::make_unique<beast::tcp_stream>(ioc);
        stream->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    }

    std::uint16_t port;
    net::io_context ioc;
    std::unique_ptr<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::uint16_t port) : impl_(std::make_unique<Impl>(port)) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(
    const std::string& method,
    const std::string& target,
    const std::string& body,
    const HeaderList& headers
) {
    beast::http::request<beast::http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(beast::http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) {
        req.insert(name, value);
    }
    req.body() = body;
    req.prepare_payload();
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!impl_->stream) {
            impl_->connect();
        }
        beast::error_code ec;
        beast::http::write(*impl_->stream, req, ec);
        beast::http::response_parser<beast::http::string_body> parser;
        parser.body_limit(1U << 30U);
        if (method == "HEAD") {
            parser.skip(true);
        }
        if (!ec) {
            beast::http::read(*impl_->stream, impl_->buffer, parser, ec);
        }
        if (ec) {
            impl_->stream.reset();
            impl_->buffer.clear();
            if (attempt == 0) {
                continue;
            }
            throw std::runtime_error("HTTP request failed: " + ec.message());
        }
        auto res = parser.release();
        HttpResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& field : res) {
            out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        out.body = std::move(res.body());
        if (!res.keep_alive()) {
            impl_->stream.reset();
            impl_->buffer.clear();
        }
        return out;
    }
    throw std::runtime_error("unreachable");
}

HttpResponse HttpClient::post_json(
    const std::string& target, const nlohmann::json& body, const HeaderList& headers
) {
    HeaderList all = headers;
    all.emplace_back("Content-Type", "application/json");
    return request("POST", target, body.dump(), all);
}

RawConnection::RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 ||
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        throw std::runtime_error("cannot connect to the server");
    }
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool RawConnection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

std::string RawConnection::read_until_closed(std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        );
        if (left.count() <= 0) {
            return out;
        }
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            return out;
        }
        char buffer[4096];
        const auto got = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (got <= 0) {
            return out;
        }
        out.append(buffer, static_cast<std::size_t>(got));
    }
}

std::string RawConnection::read_until(std::string_view marker, std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.find(marker) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        );
        if (left.count() <= 0) {
            break;
        }
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        char buffer[4096];
        const auto got = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (got <= 0) {
            break;
        }
        out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
}

bool RawConnection::closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        );
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(1, left.count()))) <= 0) {
            continue;
        }
        char buffer[4096];
        const auto got = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (got <= 0) {
            return true;
        }
    }
    return false;
}

}  // namespace molvault::test
