// Which source addresses discovery answers: loopback and the subnets of its interface.
#include "lan_scope.hpp"

#include <catch2/catch.hpp>

using namespace butter::discovery;

TEST_CASE("addresses inside the interface subnets and on loopback are on the LAN and nothing else is") {
  LanScope lan;
  lan.set({*subnet_of("198.18.0.11", "255.255.255.0"), *subnet_of("10.1.2.3", "255.255.0.0")});
  CHECK(to_string(lan.subnets()[0]) == "198.18.0.0/24");
  CHECK(to_string(lan.subnets()[1]) == "10.1.0.0/16");
  CHECK(lan.contains("198.18.0.12"));
  CHECK(lan.contains("198.18.0.255"));
  CHECK(lan.contains("10.1.200.7"));
  CHECK(lan.contains("127.0.0.1"));
  CHECK(lan.contains("127.9.9.9"));
  CHECK_FALSE(lan.contains("198.18.1.12"));
  CHECK_FALSE(lan.contains("198.19.77.9"));
  CHECK_FALSE(lan.contains("10.2.0.1"));
  CHECK_FALSE(lan.contains("8.8.8.8"));
  CHECK_FALSE(lan.contains("::1"));
  CHECK_FALSE(lan.contains("::ffff:198.18.0.12"));
  CHECK_FALSE(lan.contains(""));
  CHECK_FALSE(lan.contains("198.18.0"));
}

TEST_CASE("with no subnet known only loopback is on the LAN") {
  LanScope lan;
  CHECK(lan.contains("127.0.0.1"));
  CHECK_FALSE(lan.contains("192.168.1.2"));
  CHECK_FALSE(subnet_of("198.18.0.11", "not a mask"));
  CHECK(to_string(*subnet_of("192.168.1.77", "255.255.255.255")) == "192.168.1.77/32");
}
