#include "common/ip_network.hpp"

#include <gtest/gtest.h>

namespace molvault {
namespace {

IpAddress ip(std::string_view text) {
    const auto address = IpAddress::parse(text);
    EXPECT_TRUE(address) << text;
    return address.value_or(IpAddress{});
}

TEST(IpAddress, ParsesAndCanonicalisesBothFamilies) {
    EXPECT_EQ(ip("192.0.2.7").to_string(), "192.0.2.7");
    EXPECT_EQ(ip(" 2001:DB8:0:0::1 ").to_string(), "2001:db8::1");
    EXPECT_EQ(ip("[::1]").to_string(), "::1");
    EXPECT_FALSE(ip("2001:db8::1").is_v4());
}

TEST(IpAddress, TreatsIpv4MappedIpv6AsIpv4) {
    const auto mapped = ip("::ffff:203.0.113.9");
    EXPECT_TRUE(mapped.is_v4());
    EXPECT_EQ(mapped, ip("203.0.113.9"));
    EXPECT_EQ(mapped.to_string(), "203.0.113.9");
}

TEST(IpAddress, RejectsAnythingThatIsNotAnAddress) {
    for (const auto* text :
         {"",
          "unknown",
          "1.2.3",
          "1.2.3.4.5",
          "256.1.1.1",
          "1.2.3.4:80",
          "fe80::1%eth0",
          "::g",
          "10.0.0.1/8",
          "[1.2.3.4"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(IpAddress::parse(text));
    }
}

struct ContainsCase {
    const char* network;
    const char* address;
    bool contained;
};

TEST(IpNetwork, MatchesAddressesByPrefix) {
    const std::vector<ContainsCase> cases = {
        {"10.0.0.0/8", "10.255.3.4", true},
        {"10.0.0.0/8", "11.0.0.1", false},
        {"10.1.2.3/8", "10.200.0.1", true},  // host bits ignored
        {"192.168.1.0/24", "192.168.1.255", true},
        {"192.168.1.0/24", "192.168.2.0", false},
        {"172.16.0.0/12", "172.31.255.255", true},
        {"172.16.0.0/12", "172.32.0.0", false},
        {"127.0.0.1", "127.0.0.1", true},
        {"127.0.0.1", "127.0.0.2", false},
        {"0.0.0.0/0", "8.8.8.8", true},
        {"0.0.0.0/0", "2001:db8::1", false},  // families never match each other
        {"2001:db8::/32", "2001:db8:ffff::1", true},
        {"2001:db8::/32", "2001:db9::1", false},
        {"fd00::/8", "fdff::1", true},
        {"::1", "::1", true},
        {"::1/128", "::2", false},
        {"2001:db8::/127", "2001:db8::1", true},
        {"10.0.0.0/8", "::ffff:10.9.9.9", true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.network) + " ∋ " + c.address);
        const auto network = IpNetwork::parse(c.network);
        ASSERT_TRUE(network);
        EXPECT_EQ(network->contains(ip(c.address)), c.contained);
    }
}

TEST(IpNetwork, RejectsBadPrefixes) {
    for (const auto* text :
         {"10.0.0.0/33",
          "10.0.0.0/-1",
          "10.0.0.0/",
          "10.0.0.0/8x",
          "::/129",
          "/8",
          "10.0.0.0/08/"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(IpNetwork::parse(text));
    }
}

TEST(IpNetworkList, ParsesACommaSeparatedList) {
    const auto list = parse_ip_network_list(" 127.0.0.1, 10.0.0.0/8 ,,::1, fd00::/8 ");
    ASSERT_TRUE(list) << list.error();
    ASSERT_EQ(list->size(), 4U);
    EXPECT_EQ((*list)[1].to_string(), "10.0.0.0/8");
    EXPECT_TRUE(any_contains(*list, ip("fd12::3")));
    EXPECT_FALSE(any_contains(*list, ip("192.0.2.1")));
}

TEST(IpNetworkList, NamesTheFirstBadEntry) {
    const auto list = parse_ip_network_list("127.0.0.1, proxy.internal, 10.0.0.0/99");
    ASSERT_FALSE(list);
    EXPECT_NE(list.error().find("'proxy.internal'"), std::string::npos) << list.error();
}

}  // namespace
}  // namespace molvault
