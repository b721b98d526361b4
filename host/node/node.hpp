// Node: one Butter node — its identity, transport, HTTP endpoint and plugin instances, composed
// from a manifest. A process may run many nodes on one Runtime.
//
//   Runtime rt;
//   Node node(rt.io(), manifest, registry);
//   Diagnostics d;
//   if (!node.prepare(d)) { print d; }      // loads plugins, checks configs and wiring
//   if (auto e = node.start()) { ... }      // binds, inits and starts plugins in dependency order
//   ...
//   node.stop();                            // stops plugins in reverse order, closes everything
//
// prepare/start/stop are called from outside the node's strand (they block until done there).
#pragma once
#include "core/status.hpp"
#include "loader/plugin_library.hpp"
#include "manifest/manifest.hpp"
#include "node/hot_swap.hpp"
#include "instance/node_core.hpp"

#include <nlohmann/json.hpp>

#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace butter::host {

struct PreparedPlugin {
  PluginSpec spec;
  std::shared_ptr<PluginLibrary> library;
  const PluginInfo* info = nullptr;
};

class Node {
 public:
  Node(IoContext& io, Manifest manifest, PluginRegistry& registry);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  bool prepare(Diagnostics& diags);
  Error start();
  void stop();

  bool running() const { return running_; }
  const std::string& id_hex() const { return core_->id_hex; }
  const std::string& name() const { return core_->manifest.node.name; }
  std::vector<std::string> listen_endpoints();
  std::string http_url();
  nlohmann::json status();
  std::string metrics_text();
  std::shared_ptr<NodeCore> core() { return core_; }

  // Runs `f` on the node's strand and waits for it (for tests and the CLI; never call it from
  // the strand itself).
  template <class F>
  auto on_strand(F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto fut = task.get_future();
    boost::asio::post(core_->strand, [&task] { task(); });
    return fut.get();
  }

  // Hot swap (hot_swap.hpp): replaces the running instance `instance` by a new build of its
  // plugin from `new_file`. Returns an error (and the old build keeps serving) when the file
  // cannot be loaded or the new instance cannot be activated. `report` may be null.
  Error replace_plugin(const std::string& instance, const std::string& new_file, SwapReport* report,
                       const SwapOptions& options = {});
  // Development mode: load `file = ...` plugins from shadow copies (never the file itself), so
  // that a build overwriting the file in place cannot crash the node. Call before prepare().
  void set_shadow_loading(bool on) { shadow_loading_ = on; }
  // Each prepared instance and the file its plugin comes from (the file a developer rebuilds; not
  // the shadow copy).
  std::map<std::string, std::string> plugin_files() const { return sources_; }

  // The plugin search path this manifest resolves to, in this order: the directories of the
  // BUTTER_PLUGIN_PATH environment variable (':'-separated, empty entries skipped), then the
  // manifest's node.plugin_path (relative entries against the manifest's directory, or the
  // executable's when it has none), then the defaults <exe dir>/../plugins and
  // <exe dir>/../lib/butter/plugins.
  static std::vector<std::string> search_path(const Manifest& m);

 private:
  Error start_on_strand();
  static void dial_bootstrap(const std::shared_ptr<NodeCore>& core, const std::string& uri,
                             std::chrono::milliseconds delay);
  void stop_on_strand();
  Error load_identity();

  std::shared_ptr<NodeCore> core_;
  PluginRegistry& registry_;
  std::vector<PreparedPlugin> prepared_;
  std::vector<std::size_t> order_;
  bool prepared_ok_ = false;
  bool running_ = false;
  bool shadow_loading_ = false;
  std::map<std::string, std::string> sources_;  // instance -> source file
};

}  // namespace butter::host
