// The descriptor of butter.storage.pcg: id, interfaces, and the config schema, which is the one
// place the plugin's config defaults are written (the engine's Config defaults, engine.hpp). The
// exported entry (plugin_entry.cpp) and the tests that run the plugin on the SDK's fake host
// (tests/interface_test.cpp, tests/storage3_harness.hpp) use the same one.
#pragma once
#include <butter/cpp/descriptor.hpp>

namespace butter::pcg {

butter::Descriptor pcg_descriptor();

}  // namespace butter::pcg
