// Runtime (host/node/runtime.hpp): the io_context and its threads.
#include "node/runtime.hpp"

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

using namespace butter;
using namespace std::chrono_literals;

namespace {

// Posts `n` handlers that each wait (bounded) until all `n` are running at once; returns how many
// saw all the others, and the distinct threads they ran on. Only a runtime with at least `n`
// threads can run them together.
struct RuntimeRendezvous {
  std::size_t met = 0;
  std::set<std::thread::id> threads;
};

RuntimeRendezvous runtime_rendezvous(host::Runtime& rt, std::size_t n) {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t arrived = 0, finished = 0;
  RuntimeRendezvous out;
  for (std::size_t i = 0; i < n; ++i) {
    boost::asio::post(rt.io(), [&] {
      std::unique_lock lock(mu);
      ++arrived;
      out.threads.insert(std::this_thread::get_id());
      cv.notify_all();
      if (cv.wait_for(lock, 5s, [&] { return arrived == n; })) ++out.met;
      ++finished;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  // Each handler gives up after 5 s, so all finish within n * 5 s even one at a time.
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(5 * n + 5), [&] { return finished == n; }));
  return out;
}

}  // namespace

TEST_CASE("work posted to the runtime runs on one of its threads, not the caller's") {
  host::Runtime rt(1);
  std::promise<std::thread::id> ran;
  auto fut = ran.get_future();
  boost::asio::post(rt.io(), [&] { ran.set_value(std::this_thread::get_id()); });
  REQUIRE(fut.wait_for(5s) == std::future_status::ready);
  CHECK(fut.get() != std::this_thread::get_id());
}

TEST_CASE("a runtime of three threads runs three handlers at once") {
  host::Runtime rt(3);
  auto r = runtime_rendezvous(rt, 3);
  CHECK(r.met == 3);
  CHECK(r.threads.size() == 3);
}

TEST_CASE("a runtime asked for zero threads has at least two") {
  host::Runtime rt(0);
  auto r = runtime_rendezvous(rt, 2);
  CHECK(r.met == 2);
  CHECK(r.threads.size() == 2);
}

TEST_CASE("a handler that throws does not end the runtime's thread") {
  host::Runtime rt(1);  // one thread: if the throw ended it, nothing would run the next handler
  boost::asio::post(rt.io(), [] { throw std::runtime_error("handler failure"); });
  boost::asio::post(rt.io(), [] { throw 42; });
  std::promise<void> ran;
  auto fut = ran.get_future();
  boost::asio::post(rt.io(), [&] { ran.set_value(); });
  CHECK(fut.wait_for(5s) == std::future_status::ready);
}

TEST_CASE("stop waits for the running handler to finish and joins the threads") {
  host::Runtime rt(2);
  std::promise<void> started;
  std::promise<void> gate;
  auto gate_open = gate.get_future().share();
  std::atomic<bool> finished{false};
  boost::asio::post(rt.io(), [&, gate_open] {
    started.set_value();
    gate_open.wait_for(10s);
    finished = true;
  });
  REQUIRE(started.get_future().wait_for(5s) == std::future_status::ready);
  auto stopper = std::async(std::launch::async, [&] { rt.stop(); });
  // stop() cannot return while the handler is held at the gate.
  CHECK(stopper.wait_for(100ms) == std::future_status::timeout);
  gate.set_value();
  REQUIRE(stopper.wait_for(10s) == std::future_status::ready);
  CHECK(finished);  // joined: the handler had completed when stop() returned
  // Stopped: nothing runs what is posted now, and stopping again (and the destructor) is harmless.
  std::atomic<bool> late{false};
  boost::asio::post(rt.io(), [&] { late = true; });
  rt.stop();
  CHECK_FALSE(late);
}
