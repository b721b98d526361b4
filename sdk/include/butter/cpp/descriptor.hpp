// butter/cpp/descriptor.hpp — the C++ form of butter_plugin_descriptor.
//
//   butter::Descriptor{
//       .id = "org.example.echo", .name = "Echo", .vendor = "Example", .version = "1.0.0",
//       .description = "answers /butter/echo/1",
//       .provides = {}, .required = {"butter.peers/1"}, .optional = {},
//       .config = {{"greeting", butter::ConfigType::String, false, "prefix added to every answer"}}}
//
// (`required` and not `requires`: that is a C++20 keyword.) The BUTTER_PLUGIN macro copies it into
// static storage and builds the C descriptor with NULL-terminated lists.
#pragma once

#include <butter/butter.h>

#include <string>
#include <vector>

namespace butter {

enum class ConfigType : int32_t {
  String = BUTTER_CONFIG_STRING,
  Int = BUTTER_CONFIG_INT,
  Float = BUTTER_CONFIG_FLOAT,
  Bool = BUTTER_CONFIG_BOOL,
  StringArray = BUTTER_CONFIG_STRING_ARRAY
};

struct ConfigKey {
  std::string key;
  ConfigType type = ConfigType::String;
  bool required = false;
  std::string description{};
};

struct Descriptor {
  std::string id{};
  std::string name{};
  std::string vendor{};
  std::string version{};
  std::string description{};
  std::vector<std::string> provides{};  // interface ids it serves (provide() them in init)
  std::vector<std::string> required{};  // interface ids that must be started before it
  std::vector<std::string> optional{};  // interface ids it uses when present
  std::vector<ConfigKey> config{};
};

namespace detail {

// Owns a Descriptor and the C view of it. Never moved once built (the C view points into it).
class DescriptorStorage {
 public:
  explicit DescriptorStorage(Descriptor d) : d_(std::move(d)) {
    list(d_.provides, provides_);
    list(d_.required, required_);
    list(d_.optional, optional_);
    schema_.reserve(d_.config.size());
    for (const ConfigKey& k : d_.config)
      schema_.push_back({k.key.c_str(), static_cast<int32_t>(k.type), k.required ? 1 : 0,
                         k.description.empty() ? nullptr : k.description.c_str()});
    c_.struct_size = sizeof(butter_plugin_descriptor);
    c_.abi = BUTTER_ABI_VERSION_INIT;
    c_.id = d_.id.c_str();
    c_.name = d_.name.c_str();
    c_.vendor = d_.vendor.c_str();
    c_.version = d_.version.c_str();
    c_.description = d_.description.c_str();
    c_.provides = provides_.data();
    c_.required = required_.data();
    c_.optional = optional_.data();
    c_.config_schema = schema_.empty() ? nullptr : schema_.data();
    c_.config_schema_len = static_cast<uint32_t>(schema_.size());
  }
  DescriptorStorage(const DescriptorStorage&) = delete;
  DescriptorStorage& operator=(const DescriptorStorage&) = delete;

  const butter_plugin_descriptor* c() const noexcept { return &c_; }
  const Descriptor& cpp() const noexcept { return d_; }

 private:
  static void list(const std::vector<std::string>& in, std::vector<const char*>& out) {
    out.reserve(in.size() + 1);
    for (const std::string& s : in) out.push_back(s.c_str());
    out.push_back(nullptr);
  }
  Descriptor d_;
  std::vector<const char*> provides_, required_, optional_;
  std::vector<butter_config_key> schema_;
  butter_plugin_descriptor c_{};
};

}  // namespace detail
}  // namespace butter
