// The exported entry point of butter.storage.pcg; its descriptor (config schema and defaults) is in
// descriptor.cpp, shared with the tests that run the plugin on the SDK's fake host.
#include "descriptor.hpp"
#include "pcg_plugin.hpp"

BUTTER_PLUGIN(butter::pcg::PcgStorage, butter::pcg::pcg_descriptor());
