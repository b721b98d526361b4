// PluginInstance: one plugin instance inside one node — the `butter_host` it was given, its
// lifecycle state, and everything it registered with the host (handlers, timers, sockets, routes,
// pending requests), so that stopping or isolating it cancels all of it.
//
// Threading: everything here runs on the node's strand, except `post` and logging, which are
// [any-thread] in the ABI.
#pragma once
#include "core/status.hpp"
#include "loader/plugin_library.hpp"
#include "manifest/manifest.hpp"

#include <butter/host.h>
#include <butter/plugin.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace butter::host {

struct NodeCore;

enum class InstanceState { Created, Initialized, Started, Stopped, Failed };
const char* instance_state_name(InstanceState s);

class PluginInstance : public std::enable_shared_from_this<PluginInstance> {
 public:
  PluginInstance(NodeCore& core, PluginSpec spec, std::shared_ptr<PluginLibrary> library, const PluginInfo& info);
  ~PluginInstance();

  const std::string& name() const { return spec_.instance; }
  const PluginInfo& info() const { return info_; }
  const PluginSpec& spec() const { return spec_; }
  InstanceState state() const { return state_.load(); }
  const std::string& failure() const { return failure_; }
  const butter_host* host() const { return &host_; }
  const butter_plugin* plugin() const { return plugin_; }
  NodeCore& core() { return core_; }
  const std::shared_ptr<PluginLibrary>& library() const { return library_; }
  // Serving callbacks: created, initialized or started, not failed/stopped.
  bool active() const;

  // Lifecycle, each a guarded call into the plugin. On failure the instance is isolated.
  Error create();
  Error init();
  Error start();
  void stop();  // stop (if started), cancel registrations, destroy
  // Hot swap, old side: stop (if started), then save the state through butter.state/1 into
  // `state` (`saved` false when the plugin does not serve it), then cancel the registrations and
  // destroy. A failing save is logged and returned; the instance is destroyed either way.
  Error stop_and_save(std::string& state, bool& saved);
  // Hot swap, new side (between init and start): hands `state` to butter.state/1's load. A plugin
  // without butter.state/1 gets nothing (logged); a refusal isolates the instance and is returned.
  Error load_state(const std::string& state);
  // Marks the instance failed, cancels its registrations and destroys it. Safe to call from
  // within a host function the plugin called: the plugin's destroy runs later, on the strand.
  void isolate(const std::string& reason);

  // Runs `f` (a call into plugin code) if the instance is active; an exception escaping it
  // isolates the instance. Returns false when not run or when it threw.
  template <class F>
  bool invoke(const char* what, F&& f) {
    if (!active()) return false;
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      isolate(std::string(what) + " threw: " + e.what());
    } catch (...) {
      isolate(std::string(what) + " threw a non-standard exception");
    }
    return false;
  }

  // Config access for butter.config/1; marks keys read. An absent key with a schema default
  // gives that default.
  const ConfigValue* config_value(const std::string& key);
  std::vector<std::string> unread_config_keys() const;

  // This instance's data directory ("" when the node has none); created on first call.
  const std::string& data_dir();

  // Registrations, so stop/isolate can cancel them. Each service owns the real objects and
  // keeps them in maps keyed by these ids; the instance only records ownership.
  struct Registrations {
    std::set<std::string> protocols;
    std::set<std::uint64_t> timers, requests, reply_tokens, datagram_sockets, fd_watches, http_routes, http_tokens,
        peer_watchers, dial_streams, event_subscriptions;
    std::set<std::string> dialer_schemes;
    std::set<std::string> advertised;  // endpoints announced through butter.connections/1
  };
  Registrations& registrations() { return regs_; }

  // Scratch storage for strings returned to the plugin "valid for the current callback".
  std::string& scratch(int slot) { return scratch_[slot & 3]; }

  // [any-thread] How many [node] host functions this instance called from a foreign thread (each
  // refused; see node_instance_of).
  std::uint64_t off_thread_calls() const { return off_thread_calls_.load(); }
  // [any-thread] Whether the caller runs on this instance's node strand.
  bool on_node_thread() const;

 private:
  // init or start: a throw or a refusal isolates the instance; success moves it to `reached`.
  Error run_lifecycle(const char* what, butter_status (*fn)(const butter_plugin*, butter_error*),
                      InstanceState reached);
  void release_registrations();
  void destroy_plugin();

  NodeCore& core_;
  PluginSpec spec_;
  std::shared_ptr<PluginLibrary> library_;
  PluginInfo info_;
  butter_host host_{};
  const butter_plugin* plugin_ = nullptr;
  std::atomic<InstanceState> state_{InstanceState::Created};
  std::string failure_;
  std::set<std::string> read_keys_;
  std::map<std::string, ConfigValue> schema_defaults_;  // of keys whose schema declares one
  std::string data_dir_;
  bool data_dir_ready_ = false;
  Registrations regs_;
  std::string scratch_[4];
  std::atomic<std::uint64_t> off_thread_calls_{0};

  friend PluginInstance* node_instance_of(const butter_host* host, const char* function);
};

// The PluginInstance behind a butter_host handed to a plugin (host_data). Never null for hosts
// the node created; a corrupt pointer from a plugin is undefined behaviour, as any C ABI.
// For the [any-thread] functions (log, node id, identity, ...).
PluginInstance* instance_of(const butter_host* host);

// The same for a [node] function (`function` names it for the log, e.g. "timer.set"): null when
// the caller is not running on the node's strand, i.e. a plugin called it from a thread of its
// own. The call then fails (BUTTER_E_INVALID, or does nothing when it returns void) instead of
// racing the node; the first such call of each instance is logged as an error with the
// function's name, the others are counted (PluginInstance::off_thread_calls).
PluginInstance* node_instance_of(const butter_host* host, const char* function);

}  // namespace butter::host
