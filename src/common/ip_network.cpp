#include "common/ip_network.hpp"

#include <algorithm>
#include <charconv>

#include <arpa/inet.h>

namespace molvault {
namespace {

constexpr std::size_t kV4Bytes = 4;
constexpr std::size_t kV6Bytes = 16;
// ::ffff:0:0/96, the IPv4-mapped IPv6 prefix.
constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view strip(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    text = strip(text);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    // inet_pton needs a NUL-terminated string; INET6_ADDRSTRLEN bounds any valid address.
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    const std::string terminated(text);
    IpAddress address;
    if (::inet_pton(AF_INET, terminated.c_str(), address.bytes_.data()) == 1) {
        address.v4_ = true;
        return address;
    }
    if (::inet_pton(AF_INET6, terminated.c_str(), address.bytes_.data()) != 1) {
        return std::nullopt;
    }
    address.v4_ = false;
    if (std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.bytes_.begin())) {
        std::array<std::uint8_t, 16> v4{};
        std::copy_n(address.bytes_.begin() + kV4MappedPrefix.size(), kV4Bytes, v4.begin());
        address.bytes_ = v4;
        address.v4_ = true;
    }
    return address;
}

std::string IpAddress::to_string() const {
    std::array<char, INET6_ADDRSTRLEN> buffer{};
    const char* text =
        ::inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buffer.data(), buffer.size());
    return text == nullptr ? std::string() : std::string(text);
}

IpAddress IpAddress::masked(int prefix_bits) const {
    IpAddress out = *this;
    const auto bytes = static_cast<std::size_t>(v4_ ? kV4Bytes : kV6Bytes);
    for (std::size_t i = 0; i < bytes; ++i) {
        const int bits_here = std::clamp(prefix_bits - static_cast<int>(i * 8), 0, 8);
        const auto keep = static_cast<std::uint8_t>(0xffU << (8 - bits_here));
        out.bytes_[i] = static_cast<std::uint8_t>(out.bytes_[i] & keep);
    }
    return out;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
    text = strip(text);
    const auto slash = text.find('/');
    const auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) {
        return std::nullopt;
    }
    int prefix = address->bit_count();
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        const auto* end = digits.data() + digits.size();
        const auto [ptr, ec] = std::from_chars(digits.data(), end, prefix);
        if (digits.empty() || ec != std::errc{} || ptr != end || prefix < 0 ||
            prefix > address->bit_count()) {
            return std::nullopt;
        }
    }
    IpNetwork network;
    network.base_ = address->masked(prefix);
    network.prefix_bits_ = prefix;
    return network;
}

bool IpNetwork::contains(const IpAddress& address) const {
    return address.v4_ == base_.v4_ && address.masked(prefix_bits_) == base_;
}

std::string IpNetwork::to_string() const {
    return base_.to_string() + "/" + std::to_string(prefix_bits_);
}

Expected<std::vector<IpNetwork>, std::string> parse_ip_network_list(std::string_view text) {
    std::vector<IpNetwork> networks;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto entry = strip(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (entry.empty()) {
            continue;
        }
        auto network = IpNetwork::parse(entry);
        if (!network) {
            return Unexpected<std::string>(
                "'" + std::string(entry) + "' is not an IP address or CIDR block"
            );
        }
        networks.push_back(*network);
    }
    return networks;
}

bool any_contains(const std::vector<IpNetwork>& networks, const IpAddress& address) {
    return std::any_of(networks.begin(), networks.end(), [&address](const IpNetwork& network) {
        return network.contains(address);
    });
}

}  // namespace molvault
