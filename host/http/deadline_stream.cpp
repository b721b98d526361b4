#include "http/deadline_stream.hpp"

#include <boost/asio/connect.hpp>

namespace butter::host {

DeadlineStream::error_code DeadlineStream::connect(const std::string& host, std::uint16_t port,
                                                   std::chrono::milliseconds timeout) {
  error_code ec;
  boost::asio::ip::tcp::resolver resolver(io_);
  auto results = resolver.resolve(host, std::to_string(port), boost::asio::ip::tcp::resolver::numeric_service, ec);
  if (ec) return ec;
  return run(timeout, [&](auto handler) { stream_.async_connect(results, std::move(handler)); });
}

std::string host_field(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace butter::host
