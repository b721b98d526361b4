// The raw hostile-peer clients for the transport's tests (they live in tests/support, shared with
// the attack benchmark), with the loopback harness.
#pragma once
#include "harness.hpp"
#include "support/raw_peer.hpp"
