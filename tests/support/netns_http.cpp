#include "support/netns_http.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <stdexcept>
#include <thread>

namespace butter::test {

void run_in_ns(const std::string& ns, const std::function<void()>& fn) {
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      std::string path = "/var/run/netns/" + ns;
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
      int rc = ::setns(fd, CLONE_NEWNET);
      int err = errno;
      ::close(fd);
      if (rc != 0) throw std::runtime_error("setns " + ns + ": " + std::strerror(err));
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
}

HttpResult http_in_ns(const std::string& ns, const std::string& method, const std::string& url, const std::string& body,
                      std::chrono::milliseconds timeout) {
  HttpResult result;
  run_in_ns(ns, [&] { result = http_request_url(method, url, body, timeout); });
  return result;
}

HttpResult http_get_in_ns(const std::string& ns, const std::string& url, std::chrono::milliseconds timeout) {
  return http_in_ns(ns, "GET", url, "", timeout);
}

std::optional<nlohmann::json> json_in_ns(const std::string& ns, const std::string& url) {
  try {
    HttpResult r = http_get_in_ns(ns, url);
    if (r.status != 200) return std::nullopt;
    return nlohmann::json::parse(r.body);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace butter::test
