// HTTP requests from inside a network namespace, so that a test in the root namespace can read
// the /status of a `butter` running in a bed's host. The request runs on a short-lived thread
// that joins the namespace with setns(2): only that thread moves, the test process does not.
#pragma once
#include "support/http_client.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace butter::test {

// Runs `fn` on a short-lived thread that joined namespace `ns` (sockets it makes stay there), and
// rethrows what it throws; std::runtime_error when the namespace cannot be entered.
void run_in_ns(const std::string& ns, const std::function<void()>& fn);

// Any HTTP request (method, body) from inside namespace `ns`, on a thread that joined it; throws
// std::runtime_error when the namespace cannot be entered.
HttpResult http_in_ns(const std::string& ns, const std::string& method, const std::string& url, const std::string& body,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

// GET `url` from inside namespace `ns`. Throws std::runtime_error when the namespace cannot be
// joined or the request fails (as http_get does).
HttpResult http_get_in_ns(const std::string& ns, const std::string& url,
                          std::chrono::milliseconds timeout = std::chrono::seconds(3));

// The JSON body of GET `url` in `ns`, or nullopt when the node does not answer (yet) or the body
// is not JSON: for polling with wait_until.
std::optional<nlohmann::json> json_in_ns(const std::string& ns, const std::string& url);

}  // namespace butter::test
