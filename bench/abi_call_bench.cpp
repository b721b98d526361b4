// Cost of a call across the C ABI (a function pointer into a dlopen'ed plugin) against a direct
// C++ virtual call doing the same work, measured in the same run.
#include "bench_stats.hpp"
#include "loader/plugin_library.hpp"

#include <cstdio>

using namespace butter;
using namespace butter::bench;

namespace {

struct Iface {
  virtual ~Iface() = default;
  virtual const void* get(unsigned index) const = 0;
};
struct Impl final : Iface {
  const void* table[2] = {this, nullptr};
  const void* get(unsigned index) const override { return index < 1 ? table[index] : nullptr; }
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
  const void* volatile sink = nullptr;

  auto t0 = Clock::now();
  for (int i = 0; i < kCalls; ++i) sink = f->get_descriptor(f, static_cast<std::uint32_t>(i & 1));
  double abi_ns = us_since(t0) * 1000.0 / kCalls;

  Impl impl;
  const Iface* volatile iface = &impl;
  t0 = Clock::now();
  for (int i = 0; i < kCalls; ++i) sink = iface->get(static_cast<unsigned>(i & 1));
  double virt_ns = us_since(t0) * 1000.0 / kCalls;
  (void)sink;

  std::printf("%-40s %8.2f ns/call\n", "C ABI call into a plugin (.so)", abi_ns);
  std::printf("%-40s %8.2f ns/call\n", "C++ virtual call (same binary)", virt_ns);
  std::printf("%-40s %8.2fx\n", "ratio C ABI / virtual", abi_ns / virt_ns);
  return 0;
}
