// Loopback ports the kernel says are free now: held together (so they differ), then released for
// the nodes a test starts to bind. Another process may take one in between; tests accept that race.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace butter::test {

std::vector<std::uint16_t> free_ports(std::size_t n);

}  // namespace butter::test
