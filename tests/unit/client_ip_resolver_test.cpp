#include "ratelimit/client_ip_resolver.hpp"

#include <gtest/gtest.h>

namespace molvault::ratelimit {
namespace {

ClientIpResolver resolver(std::string_view trusted) {
    auto networks = parse_ip_network_list(trusted);
    EXPECT_TRUE(networks);
    return ClientIpResolver(std::move(networks).value());
}

http::Request from(std::string peer, std::vector<std::string> forwarded_for = {}) {
    http::Request request;
    request.peer_ip = std::move(peer);
    for (auto& value : forwarded_for) {
        request.headers.add("X-Forwarded-For", std::move(value));
    }
    return request;
}

TEST(ClientIpResolver, UsesThePeerWhenNoProxyIsTrusted) {
    const ClientIpResolver none;
    EXPECT_EQ(none.client_key(from("198.51.100.4")), "198.51.100.4");
    EXPECT_EQ(none.client_key(from("198.51.100.4", {"203.0.113.50"})), "198.51.100.4");
}

TEST(ClientIpResolver, IgnoresForwardedForFromAnUntrustedPeer) {
    const auto trusting_proxy = resolver("10.0.0.0/8");
    const auto spoofed = from("198.51.100.4", {"203.0.113.50, 10.0.0.3"});
    EXPECT_EQ(trusting_proxy.client_key(spoofed), "198.51.100.4");
}

TEST(ClientIpResolver, TakesTheRightMostUntrustedForwardedAddress) {
    const auto trusting_proxy = resolver("127.0.0.1, 10.0.0.0/8");
    // The client claimed 1.1.1.1; the edge proxy appended the real peer 203.0.113.50; an inner
    // proxy (10.0.0.3) appended the edge proxy's address.
    const auto request = from("127.0.0.1", {"1.1.1.1, 203.0.113.50, 10.0.0.3"});
    EXPECT_EQ(trusting_proxy.client_key(request), "203.0.113.50");
}

TEST(ClientIpResolver, ReadsRepeatedForwardedForFieldsInOrder) {
    const auto trusting_proxy = resolver("127.0.0.1");
    const auto request = from("127.0.0.1", {"1.1.1.1", "203.0.113.50"});
    EXPECT_EQ(trusting_proxy.client_key(request), "203.0.113.50");
}

TEST(ClientIpResolver, FallsBackToThePeerWithoutForwardedFor) {
    const auto trusting_proxy = resolver("127.0.0.1");
    EXPECT_EQ(trusting_proxy.client_key(from("127.0.0.1")), "127.0.0.1");
    EXPECT_EQ(trusting_proxy.client_key(from("127.0.0.1", {""})), "127.0.0.1");
}

TEST(ClientIpResolver, StopsAtAnEntryThatIsNotAnAddress) {
    const auto trusting_proxy = resolver("127.0.0.1, 10.0.0.0/8");
    // "unknown" cannot be vouched for: the last trusted hop that forwarded it is the client.
    const auto request = from("127.0.0.1", {"203.0.113.9, unknown, 10.0.0.3"});
    EXPECT_EQ(trusting_proxy.client_key(request), "10.0.0.3");
}

TEST(ClientIpResolver, UsesTheLeftMostAddressWhenEveryHopIsTrusted) {
    const auto trusting_proxy = resolver("10.0.0.0/8, 127.0.0.1");
    EXPECT_EQ(trusting_proxy.client_key(from("127.0.0.1", {"10.1.1.1, 10.2.2.2"})), "10.1.1.1");
}

TEST(ClientIpResolver, CanonicalisesAddressesAndKeysIpv6ByItsSlash64) {
    const auto trusting_proxy = resolver("::1");
    EXPECT_EQ(trusting_proxy.client_key(from("::1", {"2001:DB8:0:0:aaaa::1"})), "2001:db8::/64");
    EXPECT_EQ(trusting_proxy.client_key(from("::1", {"2001:db8::ffff:2"})), "2001:db8::/64");
    EXPECT_EQ(trusting_proxy.client_key(from("::ffff:127.0.0.1")), "127.0.0.1");
    EXPECT_EQ(trusting_proxy.client_key(from("::1", {"::ffff:203.0.113.50"})), "203.0.113.50");
}

}  // namespace
}  // namespace molvault::ratelimit
