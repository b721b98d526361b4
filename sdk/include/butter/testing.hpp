// butter/testing.hpp — unit-testing a plugin without a node: a fake host that records what the
// plugin asks of the node and lets the test play the node's part (testing/fake_host.hpp), and an
// instance driver (testing/fake_instance.hpp). Header-only; any test framework.
#pragma once

#include <butter/testing/fake_host.hpp>
#include <butter/testing/fake_instance.hpp>
