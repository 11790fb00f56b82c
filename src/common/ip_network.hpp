#pragma once
// IP addresses and networks (CIDR blocks), IPv4 and IPv6, parsed with inet_pton. Used to decide
// whether a TCP peer is a trusted proxy (TRUSTED_PROXIES) and to pick the client address from
// X-Forwarded-For. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are treated as the IPv4 address,
// so a dual-stack listener and an IPv4 proxy list agree.
// Value types: immutable after parsing, safe to share across threads. Parse failures are
// std::nullopt (input, not faults); nothing here throws except std::bad_alloc.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace molvault {

class IpAddress {
public:
    // Accepts dotted IPv4 or any inet_pton IPv6 form; surrounding blanks and IPv6 brackets
    // ("[::1]") are ignored. No ports, no zone ids.
    [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text);

    [[nodiscard]] bool is_v4() const { return v4_; }
    // The canonical text (inet_ntop): one spelling per address, so it can key a bucket.
    [[nodiscard]] std::string to_string() const;
    // This address with every bit after the first `prefix_bits` cleared.
    [[nodiscard]] IpAddress masked(int prefix_bits) const;
    [[nodiscard]] int bit_count() const { return v4_ ? 32 : 128; }

    bool operator==(const IpAddress&) const = default;

private:
    friend class IpNetwork;
    // IPv4 uses the first four bytes; the rest stay zero.
    std::array<std::uint8_t, 16> bytes_{};
    bool v4_ = true;
};

class IpNetwork {
public:
    // "a.b.c.d", "a.b.c.d/n" (0–32), an IPv6 address, or "v6/n" (0–128). A bare address is a
    // /32 or /128. Host bits after the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8).
    [[nodiscard]] static std::optional<IpNetwork> parse(std::string_view text);

    // True when `address` is of the same family and inside this network.
    [[nodiscard]] bool contains(const IpAddress& address) const;
    [[nodiscard]] std::string to_string() const;

private:
    IpAddress base_;
    int prefix_bits_ = 0;
};

// Parses a comma-separated list of networks (blank entries skipped). On failure the error names
// the first entry that is neither an address nor a CIDR block.
[[nodiscard]] Expected<std::vector<IpNetwork>, std::string> parse_ip_network_list(
    std::string_view text
);

// True when any network in `networks` contains `address`.
[[nodiscard]] bool any_contains(const std::vector<IpNetwork>& networks, const IpAddress& address);

}  // namespace molvault
