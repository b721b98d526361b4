// butter/plugin.hpp — the header-only C++20 wrapper over the C ABI (butter/butter.h).
//
// A dapp reads like a backend web framework:
//
//   #include <butter/plugin.hpp>
//
//   class Echo : public butter::Plugin {
//    public:
//     using Plugin::Plugin;
//     void init() override {
//       greeting_ = config().get_string("greeting", "");
//       on("/butter/echo/1", [this](const butter::Request& req, butter::Reply& reply) {
//         reply.ok(greeting_ + std::string(req.text()));
//       });
//       http().get("/echo/hello", [](const butter::HttpRequest&, butter::HttpResponse& res) { res.text("hi"); });
//     }
//     void start() override { tick_ = every(std::chrono::seconds(1), [this] { log().info("up {}", node().id()); }); }
//    private:
//     std::string greeting_;
//     butter::Timer tick_;
//   };
//
//   BUTTER_PLUGIN(Echo, butter::Descriptor{.id = "org.example.echo", .name = "Echo", .vendor = "Example",
//                                          .version = "1.0.0", .description = "answers /butter/echo/1",
//                                          .config = {{"greeting", butter::ConfigType::String, false, "prefix"}}});
//
// One concept per header, in butter/cpp/: status (Status, Error, Bytes), format, log, node,
// config, timer, net, datagram, fd, http, metrics, services, events, identity, storage and
// search (other plugins' interfaces, over reply_client), descriptor, instance
// (butter::Plugin), entry (BUTTER_PLUGIN). The C ABI stays the contract: nothing C++ crosses it.
#pragma once

#include <butter/butter.h>
#include <butter/cpp/config.hpp>
#include <butter/cpp/datagram.hpp>
#include <butter/cpp/descriptor.hpp>
#include <butter/cpp/entry.hpp>
#include <butter/cpp/events.hpp>
#include <butter/cpp/fd.hpp>
#include <butter/cpp/format.hpp>
#include <butter/cpp/http.hpp>
#include <butter/cpp/identity.hpp>
#include <butter/cpp/instance.hpp>
#include <butter/cpp/log.hpp>
#include <butter/cpp/metrics.hpp>
#include <butter/cpp/net.hpp>
#include <butter/cpp/node.hpp>
#include <butter/cpp/search.hpp>
#include <butter/cpp/services.hpp>
#include <butter/cpp/status.hpp>
#include <butter/cpp/storage.hpp>
#include <butter/cpp/timer.hpp>
