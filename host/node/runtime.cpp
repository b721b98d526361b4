#include "node/runtime.hpp"

#include "core/allocator_tuning.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {

Runtime::Runtime(unsigned threads) : work_(boost::asio::make_work_guard(io_)) {
  tune_allocator_for_frames();  // nodes allocate per frame: see allocator_tuning.hpp
  if (threads == 0) threads = std::max(2u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      // A handler that throws must not end the thread: log it and keep serving.
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("unhandled exception in the event loop: {}", e.what());
        } catch (...) {
          spdlog::error("unhandled non-standard exception in the event loop");
        }
      }
    });
  }
}

void Runtime::stop() {
  work_.reset();
  io_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

Runtime::~Runtime() { stop(); }

}  // namespace butter::host
