// Fuzz target: the manifest loader (host/manifest) and the plugin wiring check
// (host/loader/dependency_graph.*), as `butter check` runs them, without loading any plugin.
//
// The input is TOML text. Every plugin instance is checked against one fixed config schema
// standing in for a plugin's descriptor; its `provides` and `requires` config keys stand in for the
// interfaces a descriptor would declare, so the fuzzer also reaches the wiring errors (missing
// provider, duplicates, cycles). Invariants: a refused manifest has at least one diagnostic and
// every diagnostic renders; an accepted plugin graph's start order is a permutation in which every
// provider starts before the instances that require it.
#include "fuzz_support.hpp"
#include "loader/dependency_graph.hpp"
#include "manifest/manifest.hpp"

#include <spdlog/spdlog.h>

#include <map>

using namespace butter::host;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // host code logs every refusal
  return 0;
}

namespace {

const ConfigKeySpec kSchema[] = {
    {"greeting", ConfigType::String, false, "a string"},
    {"count", ConfigType::Integer, false, "an integer"},
    {"ratio", ConfigType::Float, false, "a float"},
    {"enabled_feature", ConfigType::Boolean, false, "a boolean"},
    {"provides", ConfigType::StringArray, false, "interfaces provided (stand-in for the descriptor)"},
    {"requires", ConfigType::StringArray, false, "interfaces required (stand-in for the descriptor)"},
    {"id", ConfigType::String, true, "a required key"},
};

std::vector<std::string> strings_of(const PluginSpec& p, const char* key) {
  auto it = p.config.find(key);
  if (it == p.config.end()) return {};
  if (auto* v = std::get_if<std::vector<std::string>>(&it->second.value)) return *v;
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Diagnostics diags;
  auto manifest = parse_manifest(text, "fuzz.toml", "", diags);
  if (!manifest) {
    FUZZ_CHECK(!diags.empty());
  } else {
    std::vector<GraphNode> nodes;
    for (const auto& p : manifest->plugins) {
      validate_plugin_config(p, kSchema, diags);
      if (!p.enabled) continue;
      nodes.push_back({p.instance, strings_of(p, "provides"), strings_of(p, "requires"), {}, p.pos});
    }
    Diagnostics graph_diags;
    if (auto order = order_plugins(nodes, graph_diags)) {
      FUZZ_CHECK(graph_diags.empty());
      FUZZ_CHECK(order->size() == nodes.size());
      std::vector<int> rank(nodes.size(), -1);
      for (std::size_t i = 0; i < order->size(); ++i) {
        FUZZ_CHECK((*order)[i] < nodes.size() && rank[(*order)[i]] == -1);
        rank[(*order)[i]] = static_cast<int>(i);
      }
      std::map<std::string, std::size_t> provider;
      for (std::size_t i = 0; i < nodes.size(); ++i)
        for (const auto& iface : nodes[i].provides) provider.emplace(iface, i);
      for (std::size_t i = 0; i < nodes.size(); ++i)
        for (const auto& iface : nodes[i].required) {
          auto it = provider.find(iface);
          FUZZ_CHECK(it != provider.end());
          FUZZ_CHECK(it->second == i || rank[it->second] < rank[i]);
        }
    } else {
      FUZZ_CHECK(!graph_diags.empty());
    }
    for (const auto& d : graph_diags.items) diags.add(d.pos, d.message);
  }
  const std::string all = diags.to_string();
  FUZZ_CHECK(diags.empty() == all.empty());
  if (size <= 32) (void)parse_byte_size(text);
  return 0;
}
