#pragma once
// ClientIpResolver: the address a request is rate-limited by. That is the TCP peer, unless the
// peer is a trusted proxy (TRUSTED_PROXIES): then it is the right-most address of
// X-Forwarded-For that is not itself a trusted proxy. Entries left of it were written by the
// client and are never believed, so a client cannot pick its own bucket by sending the header.
//
// The result is canonical text (one spelling per address; IPv4-mapped IPv6 as IPv4). IPv6
// clients are keyed by their /64, because one host usually holds a whole /64 and could
// otherwise rotate through fresh buckets.
//
// Thread-safe: immutable after construction. Never throws for any header content.

#include <optional>
#include <string>
#include <vector>

#include "common/ip_network.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace molvault::ratelimit {

class ClientIpResolver {
public:
    static constexpr int kIpv6KeyPrefixBits = 64;

    explicit ClientIpResolver(std::vector<IpNetwork> trusted_proxies = {});

    // The client address of `request`, as a rate-limit key.
    [[nodiscard]] std::string client_key(const http::Request& request) const;
    // The client's exact address, for logs and the audit trail.
    [[nodiscard]] std::string client_address(const http::Request& request) const;

private:
    [[nodiscard]] std::optional<IpAddress> resolve(const http::Request& request) const;

    std::vector<IpNetwork> trusted_;
};

// Sets request.client_ip from the resolver, for every later middleware and handler.
[[nodiscard]] http::Middleware resolve_client_ip(ClientIpResolver resolver);

}  // namespace molvault::ratelimit
