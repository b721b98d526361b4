// Runtime: the io_context and the threads that run it. Several nodes share one runtime; each
// node is a strand on it, so a process can run hundreds of nodes on a few threads.
#pragma once
#include "core/executor.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <thread>
#include <vector>

namespace butter::host {

class Runtime {
 public:
  // threads = 0: one per core, at least 2.
  explicit Runtime(unsigned threads = 0);
  ~Runtime();  // stop() and join
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  IoContext& io() { return io_; }
  void stop();

 private:
  IoContext io_;
  boost::asio::executor_work_guard<IoContext::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace butter::host
