// Cost of a call across the C ABI (a function pointer into a dlopen'ed plugin) against a direct
// C++ virtual call doing the same work, measured in the same run.
#include "bench_stats.hpp"
#include "loader/plugin_library.hpp"

#include <cstdio>

using namespace butter;
using namespace butter::bench;

namespace {

// The same work as the factory's count(): return a number held by the object.
struct Iface {
  virtual ~Iface() = default;
  virtual std::uint32_t count() const = 0;
};
struct Impl final : Iface {
  std::uint32_t n = 1;
  std::uint32_t count() const override { return n; }
};

}  // namespace

int main() {
  host::Error err;
  auto lib = host::PluginLibrary::load(std::string(BUTTER_PLUGIN_DIR) + "/echo.so", err);
  if (!lib) {
    std::fprintf(stderr, "cannot load echo.so: %s\n", err.message.c_str());
    return 1;
  }
  const butter_plugin_factory* f = lib->factory();
  constexpr int kCalls = 50'000'000;
  volatile std::uint32_t sink = 0;
  // Through a volatile pointer, so that the compiler cannot hoist the call out of the loop.
  const butter_plugin_factory* volatile factory = f;

  auto t0 = Clock::now();
  for (int i = 0; i < kCalls; ++i) sink = factory->count(factory);
  double abi_ns = us_since(t0) * 1000.0 / kCalls;

  Impl impl;
  const Iface* volatile iface = &impl;
  t0 = Clock::now();
  for (int i = 0; i < kCalls; ++i) sink = iface->count();
  double virt_ns = us_since(t0) * 1000.0 / kCalls;
  (void)sink;

  std::printf("%-40s %8.2f ns/call\n", "C ABI: factory->count() in echo.so", abi_ns);
  std::printf("%-40s %8.2f ns/call\n", "C++ virtual count() in this binary", virt_ns);
  std::printf("%-40s %8.2fx\n", "ratio C ABI / virtual", abi_ns / virt_ns);
  return 0;
}
