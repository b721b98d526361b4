// tp-swap: one source built twice (tp-swap-v1.so and tp-swap-v2.so, -DSWAP_ANSWER="v1"/"v2") for
// the hot swap tests. Plugin id "test.swap" in both builds. It answers "/test/swap/1" with
// "<answer>:<counter>" (the counter of requests served so far, this one included), and
// "/test/swap-slow/1" the same way but 30 ms later (an async reply, for the drain). The counter
// is carried across a swap through butter.state/1 ("swap-state/1 <counter>"), so a test can see
// it continue instead of starting again at 1. tp-swap-broken (-DSWAP_FAIL_START) fails in start,
// after the old instance has stopped: the swap must roll back.
#include <butter/plugin.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#ifndef SWAP_ANSWER
#error "build with -DSWAP_ANSWER=\"v1\" (or v2)"
#endif

namespace {

constexpr std::string_view kSchema = "swap-state/1 ";

class Swap : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    on("/test/swap/1", [this](const butter::Request&, butter::Reply& reply) { reply.ok(answer()); });
    on("/test/swap-slow/1", [this](const butter::Request&, butter::Reply& reply) {
      const std::uint64_t id = next_slow_++;
      slow_[id].reply = std::move(reply);
      slow_[id].timer = after(std::chrono::milliseconds(30), [this, id] {
        auto it = slow_.find(id);
        if (it == slow_.end()) return;
        it->second.reply.ok(answer());
        slow_.erase(it);
      });
    });
  }

#ifdef SWAP_FAIL_START
  void start() override { throw butter::Error(BUTTER_E_INTERNAL, "this build fails to start"); }
#endif

  std::string save_state() override { return std::string(kSchema) + std::to_string(served_); }

  void load_state(std::string_view state) override {
    if (state.substr(0, kSchema.size()) != kSchema) throw butter::Error(BUTTER_E_INVALID, "not a swap-state/1 state");
    state.remove_prefix(kSchema.size());
    std::uint64_t n = 0;
    const auto [p, ec] = std::from_chars(state.data(), state.data() + state.size(), n);
    if (ec != std::errc() || p != state.data() + state.size()) throw butter::Error(BUTTER_E_INVALID, "bad counter");
    served_ = n;
  }

 private:
  std::string answer() { return std::string(SWAP_ANSWER) + ":" + std::to_string(++served_); }

  struct Slow {
    butter::Reply reply;
    butter::Timer timer;
  };
  std::uint64_t served_ = 0;
  std::uint64_t next_slow_ = 0;
  std::map<std::uint64_t, Slow> slow_;
};

}  // namespace

BUTTER_PLUGIN(Swap, butter::Descriptor{.id = "test.swap",
                                       .name = "Swap",
                                       .vendor = "Butter tests",
                                       .version = SWAP_ANSWER,
                                       .description = "answers /test/swap/1 with its build"});
