// butter/cpp/metrics.hpp — "butter.metrics/1": counters and gauges on the node's GET /metrics.
//
//   metrics().counter("echo_served_total").add();      // served as butter_echo_served_total
//   metrics().gauge("queue_depth").set(3);
//   metrics().describe("echo_served_total", "Echo requests answered");
//   metrics().counter("pcg_puts_total").add_growth(engine.stats().puts, reported_puts_);
//
// Names match [a-zA-Z_][a-zA-Z0-9_]*. Handles are cheap values (they hold the name); keep one in a
// member to avoid rebuilding the name. Without the extension, updates are no-ops. [node]
#pragma once

#include <butter/cpp/core.hpp>

namespace butter {

class Counter {
 public:
  Counter(const detail::Core* core, std::string name) : core_(core), name_(std::move(name)) {}
  Status add(std::uint64_t delta = 1) const {
    if (!core_->ext.metrics) return {};
    return Status(core_->ext.metrics->counter_add(core_->host, to_c(name_), delta));
  }
  // Shows a count kept elsewhere (an engine's statistics, which know nothing of metrics) as this
  // counter: adds what `count` grew by since `reported` (the count the previous call was given;
  // start it at 0) and sets `reported` to `count`. A count that did not grow adds nothing: a
  // counter never goes down.
  Status add_growth(std::uint64_t count, std::uint64_t& reported) const {
    const std::uint64_t before = reported;
    reported = count;
    return count > before ? add(count - before) : Status{};
  }
  const std::string& name() const noexcept { return name_; }

 private:
  const detail::Core* core_;
  std::string name_;
};

class Gauge {
 public:
  Gauge(const detail::Core* core, std::string name) : core_(core), name_(std::move(name)) {}
  Status set(double value) const {
    if (!core_->ext.metrics) return {};
    return Status(core_->ext.metrics->gauge_set(core_->host, to_c(name_), value));
  }
  const std::string& name() const noexcept { return name_; }

 private:
  const detail::Core* core_;
  std::string name_;
};

class Metrics {
 public:
  explicit Metrics(const detail::Core* core) noexcept : core_(core) {}
  Counter counter(std::string name) const { return Counter(core_, std::move(name)); }
  Gauge gauge(std::string name) const { return Gauge(core_, std::move(name)); }
  // HELP text for a metric (copied by the host).
  Status describe(std::string_view name, std::string_view help) const {
    if (!core_->ext.metrics) return {};
    return Status(core_->ext.metrics->describe(core_->host, to_c(name), to_c(help)));
  }

 private:
  const detail::Core* core_;
};

}  // namespace butter
