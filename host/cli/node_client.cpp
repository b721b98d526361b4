#include "cli/node_client.hpp"

#include "http/deadline_stream.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace butter::host::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::optional<NodeAddress> parse_node_url(const std::string& url, std::string& why) {
  std::string_view u = url;
  constexpr std::string_view scheme = "http://";
  if (u.substr(0, scheme.size()) != scheme) {
    why = "a node URL starts with http:// (e.g. " + std::string(kDefaultNodeUrl) + ")";
    return std::nullopt;
  }
  u.remove_prefix(scheme.size());
  while (!u.empty() && u.back() == '/') u.remove_suffix(1);
  if (u.find('/') != std::string_view::npos) {
    why = "a node URL has no path (e.g. " + std::string(kDefaultNodeUrl) + ")";
    return std::nullopt;
  }
  NodeAddress a;
  std::string_view port;
  if (!u.empty() && u.front() == '[') {
    const auto close = u.find(']');
    if (close == std::string_view::npos || close + 1 >= u.size() || u[close + 1] != ':') {
      why = "an IPv6 node URL is http://[addr]:port";
      return std::nullopt;
    }
    a.host = std::string(u.substr(1, close - 1));
    port = u.substr(close + 2);
  } else {
    const auto colon = u.rfind(':');
    if (colon == std::string_view::npos) {
      why = "the node URL needs a port (e.g. " + std::string(kDefaultNodeUrl) + ")";
      return std::nullopt;
    }
    a.host = std::string(u.substr(0, colon));
    port = u.substr(colon + 1);
  }
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || p > 65535) break;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos || p == 0 || p > 65535 ||
      a.host.empty()) {
    why = "invalid host or port in \"" + url + "\"";
    return std::nullopt;
  }
  a.port = static_cast<std::uint16_t>(p);
  return a;
}

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

namespace {

constexpr std::size_t kPiece = 256 * 1024;
constexpr std::size_t kMaxErrorBody = 64 * 1024;
// A body read waits for this much (or the body's end): a node that sends less than 64 KiB within
// the timeout counts as stalled (2 KiB/s at the default 30 s).
constexpr std::size_t kMinRead = 64 * 1024;

std::string seconds_text(std::chrono::milliseconds t) {
  const auto ms = t.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

bool exchange(const NodeAddress& node, const ClientRequest& req, ClientResponse& res, const BodySink& sink,
              std::string& why, std::chrono::milliseconds timeout) {
  try {
    DeadlineStream conn;
    boost::system::error_code ec = conn.connect(node.host, node.port, timeout);
    if (ec) {
      why = "cannot reach the node at " + node.host + ":" + std::to_string(node.port) + ": " +
            (ec == beast::error::timeout ? "no connection within " + seconds_text(timeout) : ec.message());
      return false;
    }
    auto& stream = conn.stream();
    // Every step below is bounded by `timeout` without progress: a node that accepts and then
    // says nothing cannot hold the command.
    auto stalled = [&](const boost::system::error_code& e) {
      return e == beast::error::timeout ? "nothing within " + seconds_text(timeout) : e.message();
    };

    // The head by hand: the body follows raw from the source, never whole in memory.
    std::string head = req.method + " " + req.target + " HTTP/1.1\r\nHost: " + host_field(node.host, node.port) +
                       "\r\nUser-Agent: butter-cli\r\nConnection: close\r\n";
    for (const auto& [k, v] : req.headers) head += k + ": " + v + "\r\n";
    if (req.body_size > 0 || req.method == "POST" || req.method == "PUT") {
      head += "Content-Length: " + std::to_string(req.body_size) + "\r\n";
    }
    head += "\r\n";
    ec = conn.run(timeout, [&](auto h) { asio::async_write(stream, asio::buffer(head), std::move(h)); });
    std::vector<char> buf(kPiece);
    std::uint64_t sent = 0;
    while (!ec && sent < req.body_size) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, req.body_size - sent));
      const std::size_t n = req.body ? req.body(buf.data(), want) : 0;
      if (n == 0) {
        why =
            "the request body ended after " + std::to_string(sent) + " of " + std::to_string(req.body_size) + " bytes";
        return false;
      }
      ec = conn.run(timeout, [&](auto h) { asio::async_write(stream, asio::buffer(buf.data(), n), std::move(h)); });
      sent += n;
    }
    // A node may answer early (507) and stop reading: its answer is still worth reading.
    const bool send_timed_out = ec == beast::error::timeout;
    const bool send_failed = static_cast<bool>(ec);
    if (send_timed_out) {
      why = "the node took nothing of the request for " + seconds_text(timeout);
      return false;
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (req.method == "HEAD") parser.skip(true);  // a Content-Length, but no body follows
    ec = conn.run(timeout, [&](auto h) { http::async_read_header(stream, conn.buffer(), parser, std::move(h)); });
    if (ec) {
      why = send_failed ? "the node closed the connection while we sent the body"
                        : "the node did not answer: " + stalled(ec);
      return false;
    }
    const auto& msg = parser.get();
    res.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) res.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    if (parser.content_length()) res.content_length = *parser.content_length();
    const bool to_sink = sink && res.status >= 200 && res.status < 300;
    // Where a body goes: the sink, or (an error's) into res.body up to kMaxErrorBody. false: the
    // sink wants no more.
    auto take = [&](const char* data, std::size_t n) {
      if (to_sink) return sink(std::string_view(data, n));
      if (res.body.size() < kMaxErrorBody) res.body.append(data, std::min(n, kMaxErrorBody - res.body.size()));
      return true;
    };
    // A body of known length is read straight from the socket, a quarter MiB at a time or what is
    // there: the parser's way reads at most 64 KiB per call and copies every byte once more, and
    // each call re-arms the deadline, which made the CLI the slowest step of a large get.
    if (!parser.is_done() && !parser.chunked() && parser.content_length()) {
      std::uint64_t left = *parser.content_length();
      auto& early = conn.buffer();  // body bytes that came with the head
      const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(early.size(), left));
      if (first > 0) {
        const auto* p = static_cast<const char*>(early.data().data());
        if (!take(p, first)) return true;
        early.consume(first);
        left -= first;
      }
      while (left > 0) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left));
        std::size_t n = 0;
        ec = conn.run(
            timeout,
            [&](auto h) {
              asio::async_read(stream, asio::buffer(buf.data(), want),
                               asio::transfer_at_least(std::min(want, kMinRead)), std::move(h));
            },
            &n);
        if (n > 0) {
          if (!take(buf.data(), n)) return true;
          left -= n;
        }
        if (ec && left > 0) {
          why = "the answer broke off: " + stalled(ec);
          return false;
        }
      }
      return true;
    }
    while (!parser.is_done()) {
      parser.get().body().data = buf.data();
      parser.get().body().size = buf.size();
      ec = conn.run(timeout, [&](auto h) { http::async_read(stream, conn.buffer(), parser, std::move(h)); });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        why = "the answer broke off: " + stalled(ec);
        return false;
      }
      const std::size_t n = buf.size() - parser.get().body().size;
      if (n > 0 && !take(buf.data(), n)) return true;
    }
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

}  // namespace butter::host::cli
