#include "ratelimit/client_ip_resolver.hpp"

#include <optional>
#include <ranges>
#include <string_view>

namespace molvault::ratelimit {
namespace {

std::string key_for(const IpAddress& address) {
    if (address.is_v4()) {
        return address.to_string();
    }
    return address.masked(ClientIpResolver::kIpv6KeyPrefixBits).to_string() + "/" +
           std::to_string(ClientIpResolver::kIpv6KeyPrefixBits);
}

// X-Forwarded-For entries in order, across repeated header fields.
std::vector<std::string_view> forwarded_entries(const std::vector<std::string>& fields) {
    std::vector<std::string_view> entries;
    for (const auto& field : fields) {
        std::string_view rest = field;
        while (true) {
            const auto comma = rest.find(',');
            entries.push_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    }
    return entries;
}

}  // namespace

ClientIpResolver::ClientIpResolver(std::vector<IpNetwork> trusted_proxies)
    : trusted_(std::move(trusted_proxies)) {}

std::string ClientIpResolver::client_key(const http::Request& request) const {
    const auto client = resolve(request);
    return client ? key_for(*client) : request.peer_ip;  // not an IP (a unit test): stable
}

std::string ClientIpResolver::client_address(const http::Request& request) const {
    const auto client = resolve(request);
    return client ? client->to_string() : request.peer_ip;
}

std::optional<IpAddress> ClientIpResolver::resolve(const http::Request& request) const {
    const auto peer = IpAddress::parse(request.peer_ip);
    if (!peer || !any_contains(trusted_, *peer)) {
        return peer;
    }
    // Walk right to left: each trusted hop vouches for the entry to its left. Stop at the
    // first address that is not a trusted proxy; if an entry is not an address at all, the
    // hop that forwarded it is the last one we can vouch for.
    IpAddress client = *peer;
    const auto fields = request.headers.get_all("X-Forwarded-For");
    const auto entries = forwarded_entries(fields);
    for (const auto entry : entries | std::views::reverse) {
        const auto address = IpAddress::parse(entry);
        if (!address) {
            break;
        }
        client = *address;
        if (!any_contains(trusted_, client)) {
            break;
        }
    }
    return client;
}

http::Middleware resolve_client_ip(ClientIpResolver resolver) {
    return [resolver = std::move(resolver)](http::Request& request, const http::Handler& next) {
        request.client_ip = resolver.client_address(request);
        return next(request);
    };
}

}  // namespace molvault::ratelimit
