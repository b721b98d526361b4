#include "node/node.hpp"

#include "loader/dependency_graph.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"
#include "services/net_dispatch.hpp"
#include "transport/aead.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <random>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace butter::host {

namespace fs = std::filesystem;

Node::Node(IoContext& io, Manifest manifest, PluginRegistry& registry)
    : core_(std::make_shared<NodeCore>(io, std::move(manifest), host_service_table())), registry_(registry) {}

Node::~Node() {
  try {
    stop();
  } catch (...) {
  }
}

static fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

std::vector<std::string> Node::search_path(const Manifest& m) {
  std::vector<std::string> out;
  if (const char* env = std::getenv("BUTTER_PLUGIN_PATH")) {
    std::string s(env);
    std::size_t start = 0;
    while (start <= s.size()) {
      auto end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  fs::path base = m.directory.empty() ? executable_dir() : fs::path(m.directory);
  for (const auto& p : m.node.plugin_path) {
    fs::path path(p);
    out.push_back((path.is_absolute() ? path : base / path).lexically_normal().string());
  }
  fs::path exe = executable_dir();
  out.push_back((exe / ".." / "plugins").lexically_normal().string());
  out.push_back((exe / ".." / "lib" / "butter" / "plugins").lexically_normal().string());
  return out;
}

Error Node::load_identity() {
  // The node id is the public half of the node's Ed25519 key pair: kept in the data dir (0600)
  // when there is one, ephemeral otherwise.
  const std::string& dir = core_->manifest.node.data_dir;
  if (!dir.empty()) {
    // Before identities, a random id was kept in <dir>/node_id. An id must now be a public key
    // whose secret this node holds, so that id cannot be kept: say so instead of silently changing.
    std::error_code ec;
    if (fs::exists(fs::path(dir) / "node_id", ec) && !fs::exists(fs::path(dir) / Identity::kKeyFileName, ec)) {
      spdlog::warn(
          "[{}] {}/node_id (from a Butter without node keys) is ignored: the node id is now its Ed25519 "
          "public key, kept in {}/{}; peers will see a new id",
          core_->manifest.node.name, dir, dir, Identity::kKeyFileName);
    }
    Error e;
    auto id = Identity::load_or_create(dir, e);
    if (!id) return e;
    core_->identity = std::make_shared<const Identity>(std::move(*id));
  } else {
    core_->identity = std::make_shared<const Identity>(Identity::generate());
  }
  core_->id = core_->identity->id();
  core_->id_hex = core_->id.hex();
  return Error::ok();
}

bool Node::prepare(Diagnostics& diags) {
  prepared_.clear();
  sources_.clear();
  auto path = search_path(core_->manifest);
  std::size_t before = diags.items.size();
  // The shadow copies made here: an instance that fails drops its own, a failed prepare all of
  // them (the node will not start from them; a loaded copy stays mapped, the file can go).
  std::vector<std::string> shadows;
  auto drop_shadow = [](const std::string& file) {
    std::error_code ec;
    if (!file.empty()) fs::remove(file, ec);
  };
  for (const auto& spec : core_->manifest.plugins) {
    if (!spec.enabled) continue;
    PreparedPlugin pp;
    pp.spec = spec;
    Error err;
    std::string shadow;
    if (!spec.file.empty()) {
      if (shadow_loading_) {
        shadow = make_shadow_copy(spec.file, err);
        if (!shadow.empty()) pp.library = PluginLibrary::load(shadow, err);
      } else {
        pp.library = registry_.load_file(spec.file, err);
      }
      // Which plugin of the file: the only one, or the one named (else err says why, below).
      if (pp.library && spec.plugin_id.empty() && pp.library->plugins().size() != 1) {
        // The manifest refuses `plugin` next to `file`: name one by id, found on the search path.
        std::string ids;
        for (const auto& p : pp.library->plugins()) ids += (ids.empty() ? "" : ", ") + p.id;
        err = Error::make(BUTTER_E_INVALID, spec.file + " offers several plugins (" + ids +
                                                "); name one with plugin = \"<id>\" instead of file, and put the "
                                                "file's directory on node.plugin_path");
      } else if (pp.library && spec.plugin_id.empty()) {
        pp.info = &pp.library->plugins().front();
      } else if (pp.library) {
        pp.info = pp.library->find(spec.plugin_id);
        if (!pp.info) err = Error::make(BUTTER_E_NOT_FOUND, spec.file + " does not offer " + spec.plugin_id);
      }
    } else {
      pp.library = registry_.find_by_id(spec.plugin_id, path, pp.info, err);
    }
    if (!pp.library || !pp.info) {
      diags.add(spec.pos, "plugin '" + spec.instance + "': " + err.message);
      pp.library.reset();
      drop_shadow(shadow);
      continue;
    }
    if (!shadow.empty()) shadows.push_back(shadow);
    validate_plugin_config(spec, pp.info->config_schema, diags);
    sources_[spec.instance] = spec.file.empty() ? pp.library->path() : spec.file;
    prepared_.push_back(std::move(pp));
  }
  std::vector<GraphNode> graph;
  for (const auto& pp : prepared_) {
    graph.push_back(GraphNode{pp.spec.instance, pp.info->provides, pp.info->required, pp.info->optional, pp.spec.pos});
  }
  if (diags.items.size() == before) {
    auto order = order_plugins(graph, diags);
    if (order) order_ = *order;
  }
  prepared_ok_ = diags.items.size() == before;
  if (!prepared_ok_) {
    for (const auto& f : shadows) drop_shadow(f);
  }
  return prepared_ok_;
}

Error Node::start() {
  if (running_) return {};
  if (!prepared_ok_) return Error::make(BUTTER_E_INVALID, "the node was not prepared (or preparing it failed)");
  // Here, not in the constructor: `butter check` must not write the data dir.
  if (Error e = load_identity()) {
    spdlog::error("[{}] cannot load the node's identity: {}", core_->manifest.node.name, e.message);
    return e;
  }
  Error e = on_strand([this] { return start_on_strand(); });
  running_ = !e;
  return e;
}

Error Node::start_on_strand() {
  NodeCore& core = *core_;
  const NodeSpec& spec = core.manifest.node;
  core.started_at = std::chrono::steady_clock::now();
  core.stopping = false;

  TransportOptions topts;
  topts.identity = core.identity;
  topts.self = core.id;
  topts.plaintext = spec.insecure_plaintext;
  if (spec.insecure_plaintext) {
    spdlog::warn(
        "[{}] insecure_plaintext = true: connections are neither encrypted nor authenticated, and only "
        "nodes with the same setting can talk to this one (debugging only)",
        spec.name);
  } else {
    spdlog::debug("[{}] records sealed with ChaCha20-Poly1305: {}", spec.name, noise::aead_choice().why);
  }
  topts.listen = spec.listen;
  // Every limit of [node] on connections, whole: NodeSpec and TransportOptions share TransportLimits.
  static_cast<TransportLimits&>(topts) = static_cast<const TransportLimits&>(spec);
  // Half the node's budget for what peers make the transport hold (queues, partial frames); the
  // rest is the plugins' (storage caches, tables).
  topts.memory_limit = static_cast<std::size_t>(spec.memory_budget / 2);
  if (topts.memory_limit / 2 < 2 * topts.max_frame_bytes)
    spdlog::warn(
        "[{}] memory_budget {} leaves {} bytes for partly received frames, less than two frames of "
        "max_frame_bytes ({}): concurrent large frames will be refused; raise memory_budget or lower "
        "max_frame_bytes",
        spec.name, spec.memory_budget, topts.memory_limit / 2, topts.max_frame_bytes);
  TransportHandlers handlers;
  std::weak_ptr<NodeCore> weak = core_;
  handlers.on_message = [weak](const NodeId& from, const std::string& protocol, std::span<const std::uint8_t> payload) {
    if (auto c = weak.lock()) dispatch_message(*c, from, protocol, payload);
  };
  handlers.on_request = [weak](const NodeId& from, const std::string& protocol, std::span<const std::uint8_t> payload,
                               ReplyToken token) {
    if (auto c = weak.lock()) dispatch_request(*c, from, protocol, payload, token);
  };
  handlers.on_peer_up = [weak](const PeerInfo& peer) {
    if (auto c = weak.lock()) dispatch_peer_event(*c, BUTTER_PEER_UP, peer.id);
  };
  handlers.on_peer_down = [weak](const NodeId& id, const std::string&) {
    if (auto c = weak.lock()) dispatch_peer_event(*c, BUTTER_PEER_DOWN, id);
  };
  core.transport = std::make_unique<Transport>(core.io, core.strand, topts, std::move(handlers));
  if (Error e = core.transport->start()) {
    core.transport.reset();
    return e;
  }

  if (!spec.http.empty()) {
    HttpServerOptions hopts;
    hopts.endpoint = spec.http;
    hopts.allowed_hosts = spec.http_allowed_hosts;
    core.http = std::make_unique<HttpServer>(core.io, core.strand, hopts);
    if (Error e = core.http->start()) {
      core.http.reset();
      core.transport->stop();
      core.transport.reset();
      return e;
    }
    core.http->add_route("GET", "/status", false, [weak](const HttpRequest&, const HttpResponder& respond) {
      auto c = weak.lock();
      if (!c) return;
      respond(HttpResponse{200, "application/json", c->status_json().dump(2) + "\n", {}});
    });
    core.http->add_route("GET", "/metrics", false, [weak](const HttpRequest&, const HttpResponder& respond) {
      auto c = weak.lock();
      if (!c) return;
      respond(HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", c->metrics_text(), {}});
    });
  }

  spdlog::info("[{}] node {} listening on {}", spec.name, core.id.short_hex(),
               fmt::join(core.transport->listen_endpoints(), ", "));
  if (core.http) spdlog::info("[{}] status at {}/status", spec.name, core.http->url());

  for (std::size_t i : order_) {
    auto& pp = prepared_[i];
    auto inst = std::make_shared<PluginInstance>(core, pp.spec, pp.library, *pp.info);
    core.instances.push_back(inst);
    if (Error e = inst->create()) {
      spdlog::error("[{}] plugin '{}': {}; the node runs without it", spec.name, inst->name(), e.message);
    }
  }
  for (auto& inst : core.instances) {
    if (inst->active()) inst->init();
  }
  for (auto& inst : core.instances) {
    if (inst->state() == InstanceState::Initialized) {
      if (!inst->start())
        spdlog::info("[{}] plugin '{}' ({} {}) started", spec.name, inst->name(), inst->info().id,
                     inst->info().version);
    }
  }
  for (const auto& uri : spec.bootstrap) dial_bootstrap(core_, uri, std::chrono::milliseconds(0));
  return {};
}

// A bootstrap peer that cannot be reached now (busy, refusing handshakes, not up yet) is tried
// again with a doubling delay (1 s up to 60 s, with jitter) until it answers once or the node has
// other peers: a thousand nodes started against one bootstrap node must not give up at the first
// refusal.
void Node::dial_bootstrap(const std::shared_ptr<NodeCore>& core, const std::string& uri,
                          std::chrono::milliseconds delay) {
  std::weak_ptr<NodeCore> weak = core;
  auto attempt = [weak, uri, delay] {
    auto c = weak.lock();
    if (!c || c->stopping || !c->transport) return;
    if (delay.count() > 0 && !c->transport->peers().empty()) return;  // the overlay has taken over
    c->transport->connect(uri, [weak, uri, delay](Error e, const NodeId& id) {
      auto c = weak.lock();
      if (!c || c->stopping) return;
      const std::string& name = c->manifest.node.name;
      if (!e) {
        spdlog::info("[{}] connected to bootstrap peer {} ({})", name, uri, id.short_hex());
        return;
      }
      auto next = std::min<std::chrono::milliseconds>(
          std::max<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(1)), std::chrono::seconds(60));
      spdlog::warn("[{}] bootstrap peer {} unreachable: {}; trying again in {} ms", name, uri, e.message, next.count());
      dial_bootstrap(c, uri, next);
    });
  };
  if (delay.count() == 0) return attempt();
  // Jitter (up to a quarter) so that nodes refused together do not come back together.
  static thread_local std::mt19937 rng(std::random_device{}());
  auto jittered = delay + std::chrono::milliseconds(std::uniform_int_distribution<long>(0, delay.count() / 4)(rng));
  auto timer = std::make_shared<boost::asio::steady_timer>(core->strand, jittered);
  timer->async_wait([timer, attempt](boost::system::error_code ec) {
    if (!ec) attempt();
  });
}

void Node::stop() {
  if (!running_) return;
  on_strand([this] { stop_on_strand(); });
  running_ = false;
  // Instances hold their libraries; dropping them here (not on the strand) lets the library's
  // deinit run on a thread the plugin did not start.
  std::vector<std::shared_ptr<PluginInstance>> instances;
  on_strand([&] { instances.swap(core_->instances); });
  instances.clear();
}

void Node::stop_on_strand() {
  NodeCore& core = *core_;
  core.stopping = true;
  for (auto it = core.instances.rbegin(); it != core.instances.rend(); ++it) (*it)->stop();
  if (core.http) core.http->stop();
  if (core.transport) core.transport->stop();
  spdlog::info("[{}] node {} stopped", core.manifest.node.name, core.id.short_hex());
}

std::vector<std::string> Node::listen_endpoints() {
  return on_strand(
      [this] { return core_->transport ? core_->transport->listen_endpoints() : std::vector<std::string>{}; });
}

std::string Node::http_url() {
  return on_strand([this] { return core_->http ? core_->http->url() : std::string(); });
}

nlohmann::json Node::status() {
  return on_strand([this] { return core_->status_json(); });
}

std::string Node::metrics_text() {
  return on_strand([this] { return core_->metrics_text(); });
}

}  // namespace butter::host
