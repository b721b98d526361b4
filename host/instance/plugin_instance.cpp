#include "instance/plugin_instance.hpp"

#include "instance/node_core.hpp"

#include <butter/ext/state.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include <filesystem>

namespace butter::host {

const char* instance_state_name(InstanceState s) {
  switch (s) {
    case InstanceState::Created:
      return "created";
    case InstanceState::Initialized:
      return "initialized";
    case InstanceState::Started:
      return "started";
    case InstanceState::Stopped:
      return "stopped";
    case InstanceState::Failed:
      return "failed";
  }
  return "unknown";
}

PluginInstance* instance_of(const butter_host* host) {
  return host ? static_cast<PluginInstance*>(host->host_data) : nullptr;
}

bool PluginInstance::on_node_thread() const {
  // A thread-local look-up in Asio's call stack: cheap enough for every call, in every build.
  return core_.strand.running_in_this_thread();
}

PluginInstance* node_instance_of(const butter_host* host, const char* function) {
  auto* inst = instance_of(host);
  if (!inst) return nullptr;
  if (inst->on_node_thread()) return inst;
  if (inst->off_thread_calls_.fetch_add(1) == 0) {
    // spdlog is thread-safe; the instance's name and node name are immutable after creation.
    spdlog::error(
        "[{}] plugin '{}' called {} from a thread that is not the node's: [node] functions must be "
        "called on the node's executor (from a callback, or via butter_host::post); the call was refused",
        inst->core_.manifest.node.name, inst->name(), function);
  }
  return nullptr;
}

PluginInstance::PluginInstance(NodeCore& core, PluginSpec spec, std::shared_ptr<PluginLibrary> library,
                               const PluginInfo& info)
    : core_(core), spec_(std::move(spec)), library_(std::move(library)), info_(info) {
  host_.struct_size = sizeof(butter_host);
  host_.abi = butter_version BUTTER_ABI_VERSION_INIT;
  host_.name = "butter";
  host_.version = BUTTER_HOST_VERSION;
  host_.host_data = this;
  host_.get_extension = core_.services.get_extension;
  host_.post = core_.services.post;
  for (const ConfigKeySpec& key : info_.config_schema) {
    if (key.default_value) schema_defaults_.emplace(key.key, ConfigValue{*key.default_value, SourcePos{}});
  }
}

PluginInstance::~PluginInstance() = default;

bool PluginInstance::active() const {
  auto s = state_.load();
  return plugin_ != nullptr &&
         (s == InstanceState::Created || s == InstanceState::Initialized || s == InstanceState::Started);
}

static std::string error_text(const butter_error& err, butter_status status) {
  std::string msg = err.message[0] ? std::string(err.message) : std::string("no reason given");
  return std::string(status_name(status)) + ": " + msg;
}

Error PluginInstance::create() {
  const butter_plugin* p = nullptr;
  try {
    p = library_->factory()->create(library_->factory(), &host_, info_.id.c_str());
  } catch (...) {
    p = nullptr;
  }
  if (!p || !p->init || !p->start || !p->stop || !p->destroy || !p->get_extension) {
    state_ = InstanceState::Failed;
    failure_ = p ? "the instance has a NULL lifecycle function" : "the factory returned no instance";
    return Error::make(BUTTER_E_INTERNAL, failure_);
  }
  plugin_ = p;
  return {};
}

Error PluginInstance::run_lifecycle(const char* what, butter_status (*fn)(const butter_plugin*, butter_error*),
                                    InstanceState reached) {
  butter_error err;
  butter_error_init(&err);
  butter_status st = BUTTER_OK;
  if (!invoke(what, [&] { st = fn(plugin_, &err); })) return Error::make(BUTTER_E_INTERNAL, failure_);
  if (st != BUTTER_OK) {
    isolate(std::string(what) + " failed: " + error_text(err, st));
    return Error::make(st, failure_);
  }
  state_ = reached;
  return {};
}

Error PluginInstance::init() { return run_lifecycle("init", plugin_->init, InstanceState::Initialized); }

Error PluginInstance::start() {
  if (auto e = run_lifecycle("start", plugin_->start, InstanceState::Started)) return e;
  for (const auto& key : unread_config_keys()) {
    spdlog::warn("[{}] plugin '{}': config key '{}' is set but was never read", core_.manifest.node.name, name(), key);
  }
  return {};
}

void PluginInstance::stop() {
  if (!plugin_) return;
  if (state_ == InstanceState::Started) {
    try {
      plugin_->stop(plugin_);
    } catch (...) {
      spdlog::error("[{}] plugin '{}': stop threw; destroying it anyway", core_.manifest.node.name, name());
    }
  }
  if (state_ != InstanceState::Failed) state_ = InstanceState::Stopped;
  release_registrations();
  destroy_plugin();
}

namespace {

butter_status state_write(const butter_ostream* stream, butter_bytes bytes) {
  if (!stream || !stream->ctx) return BUTTER_E_INVALID;
  if (bytes.len == 0) return BUTTER_OK;
  if (!bytes.data) return BUTTER_E_INVALID;
  try {
    static_cast<std::string*>(stream->ctx)->append(reinterpret_cast<const char*>(bytes.data), bytes.len);
    return BUTTER_OK;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

struct StateReader {
  const std::string* text;
  std::size_t pos = 0;
};

butter_status state_read(const butter_istream* stream, uint8_t* buffer, size_t capacity, size_t* out_read) {
  if (!stream || !stream->ctx || !out_read || (!buffer && capacity)) return BUTTER_E_INVALID;
  auto* r = static_cast<StateReader*>(stream->ctx);
  std::size_t n = std::min(capacity, r->text->size() - r->pos);
  // Bytes into the caller's buffer, not a C string: no terminator is owed.
  if (n) std::memcpy(buffer, r->text->data() + r->pos, n);  // NOLINT(bugprone-not-null-terminated-result)
  r->pos += n;
  *out_read = n;
  return BUTTER_OK;
}

}  // namespace

Error PluginInstance::stop_and_save(std::string& state, bool& saved) {
  state.clear();
  saved = false;
  if (!plugin_) return Error::make(BUTTER_E_UNAVAILABLE, "the instance is not active");
  if (state_ == InstanceState::Started) {
    try {
      plugin_->stop(plugin_);
    } catch (...) {
      spdlog::error("[{}] plugin '{}': stop threw; destroying it anyway", core_.manifest.node.name, name());
    }
  }
  if (state_ != InstanceState::Failed) state_ = InstanceState::Stopped;
  Error result;
  const void* ext = nullptr;
  try {
    ext = plugin_->get_extension(plugin_, BUTTER_EXT_STATE);
  } catch (...) {
    ext = nullptr;
  }
  const auto* st = static_cast<const butter_state_v1*>(ext);
  if (st && st->save) {
    butter_ostream out{&state, &state_write};
    butter_status s = BUTTER_E_INTERNAL;
    try {
      s = st->save(plugin_, &out);
    } catch (...) {
      s = BUTTER_E_INTERNAL;
    }
    if (s == BUTTER_OK) {
      saved = true;
    } else {
      state.clear();
      result = Error::make(s, std::string("saving the state failed: ") + status_name(s));
    }
  }
  release_registrations();
  destroy_plugin();
  return result;
}

Error PluginInstance::load_state(const std::string& state) {
  if (!active()) return Error::make(BUTTER_E_UNAVAILABLE, "the instance is not active");
  const void* ext = nullptr;
  if (!invoke("get_extension", [&] { ext = plugin_->get_extension(plugin_, BUTTER_EXT_STATE); })) {
    return Error::make(BUTTER_E_INTERNAL, failure_);
  }
  const auto* st = static_cast<const butter_state_v1*>(ext);
  if (!st || !st->load) {
    spdlog::warn("[{}] plugin '{}': the new build does not serve {}; the old state ({} bytes) is dropped",
                 core_.manifest.node.name, name(), BUTTER_EXT_STATE, state.size());
    return {};
  }
  StateReader reader{&state, 0};
  butter_istream in{&reader, &state_read};
  butter_error err;
  butter_error_init(&err);
  butter_status s = BUTTER_OK;
  if (!invoke("load_state", [&] { s = st->load(plugin_, &in, &err); })) return Error::make(BUTTER_E_INTERNAL, failure_);
  if (s != BUTTER_OK) {
    isolate("it refused the state: " + error_text(err, s));
    return Error::make(s, failure_);
  }
  return {};
}

void PluginInstance::isolate(const std::string& reason) {
  if (state_ == InstanceState::Failed) return;
  state_ = InstanceState::Failed;
  failure_ = reason;
  spdlog::error("[{}] plugin '{}' ({}) isolated: {}; the node keeps running without it", core_.manifest.node.name,
                name(), info_.id, reason);
  core_.metrics.counter_add("", "plugin_failures_total", 1);
  release_registrations();
  if (core_.on_plugin_failure && !core_.stopping) core_.on_plugin_failure(name(), reason);
  // The plugin may be on the stack below us (it called a host function that failed): destroy it
  // once that call has returned.
  boost::asio::post(core_.strand, [self = shared_from_this()] { self->destroy_plugin(); });
}

void PluginInstance::destroy_plugin() {
  if (!plugin_) return;
  const butter_plugin* p = plugin_;
  plugin_ = nullptr;
  try {
    p->destroy(p);
  } catch (...) {
    spdlog::error("[{}] plugin '{}': destroy threw", core_.manifest.node.name, name());
  }
}

void PluginInstance::release_registrations() {
  if (core_.services.release_registrations) core_.services.release_registrations(*this);
  regs_ = Registrations{};
  core_.metrics.forget(name());
}

const ConfigValue* PluginInstance::config_value(const std::string& key) {
  auto it = spec_.config.find(key);
  if (it == spec_.config.end()) {
    // A key the manifest leaves out gets the default its schema declares (ABI 1.3), so the
    // default is written once, in the descriptor, and not again in the code that reads it.
    auto d = schema_defaults_.find(key);
    return d == schema_defaults_.end() ? nullptr : &d->second;
  }
  read_keys_.insert(key);
  return &it->second;
}

std::vector<std::string> PluginInstance::unread_config_keys() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : spec_.config) {
    if (!read_keys_.count(key)) out.push_back(key);
  }
  return out;
}

const std::string& PluginInstance::data_dir() {
  if (!data_dir_ready_) {
    data_dir_ready_ = true;
    if (!core_.manifest.node.data_dir.empty()) {
      std::filesystem::path dir = std::filesystem::path(core_.manifest.node.data_dir) / "plugins" / name();
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        spdlog::error("[{}] plugin '{}': cannot create data dir {}: {}", core_.manifest.node.name, name(), dir.string(),
                      ec.message());
      } else {
        data_dir_ = dir.string();
      }
    }
  }
  return data_dir_;
}

}  // namespace butter::host
