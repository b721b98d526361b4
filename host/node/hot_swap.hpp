// Hot swap (development): replacing one plugin instance of a running node by a new build of its
// plugin, handing the state over through butter.state/1, without losing an inbound message.
//
//   SwapReport r;
//   if (Error e = node.replace_plugin("echo", "build/echo.so", &r)) { ... the old build serves on ... }
//
// The sequence (Node::replace_plugin, hot_swap.cpp):
//   1. [calling thread] copy the file to a shadow copy unique to this generation
//      (<tmp>/butter-dev-<pid>/<stem>.<generation>.so: glibc hands back the already-loaded object
//      for a path it has seen, and overwriting a loaded .so in place can crash the process), then
//      PluginLibrary::load it (pre-flight, ABI gate, descriptors) and check it offers the same
//      plugin id and accepts the instance's config. Failure: nothing changed, error returned.
//   2. [strand] hold: inbound messages and requests for the old instance's protocols are queued
//      (NodeCore::held_frames) instead of dispatched. While the old instance still owes answers to
//      requests it accepted (async replies), it keeps running — its timers, responses and replies
//      go on — until it has answered them all or `drain_timeout` passes.
//   3. [strand, one task] stop the old instance, save its state, cancel its registrations (a
//      request still unanswered after the drain is answered BUTTER_E_UNAVAILABLE, as on any stop),
//      destroy it; create + init the new one (it registers its own handlers), load the state,
//      start it, put it in the old one's place. If any step fails, the new instance is destroyed
//      and a fresh instance of the OLD build is created, given the same state and started
//      (rollback: the old build keeps serving; the error is logged and returned). While this runs
//      the services broker answers BUTTER_E_UNAVAILABLE for the instance's interfaces.
//   4. [strand] release the hold: queued frames are dispatched, in arrival order, to whoever now
//      handles their protocol.
//   5. [calling thread] drop the retired instance and its library (its deinit runs here, off the
//      strand), forget it in the PluginRegistry, and check with PluginLibrary::is_resident
//      (RTLD_NOLOAD) that it is really gone; a warning is logged when it is not.
//
// Threading: call replace_plugin from the thread that owns the PluginRegistry (the one that
// called prepare/start), never from the node's strand.
#pragma once
#include "core/status.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace butter::host {

struct SwapOptions {
  // How long the old instance may keep running to answer requests it has accepted but not yet
  // answered, while new ones are held. Zero: stop it at once.
  std::chrono::milliseconds drain_timeout{2000};
};

struct SwapReport {
  std::string instance;
  std::string new_file;     // the file given
  std::string shadow_file;  // the private copy actually loaded
  std::uint64_t generation = 0;
  bool swapped = false;      // the new build serves
  bool rolled_back = false;  // the new build failed after the old one stopped; a fresh old one serves
  std::string error;         // why it did not swap ("" when swapped)
  bool state_handed_over = false;
  std::size_t state_bytes = 0;
  std::size_t held_frames = 0;             // inbound frames queued during the swap and then dispatched
  std::size_t unanswered_after_drain = 0;  // accepted requests answered UNAVAILABLE (drain timeout)
  bool old_unloaded = false;               // the retired library is no longer resident
  double load_us = 0;                      // shadow copy + dlopen + checks (calling thread; nothing held)
  double drain_us = 0;                     // hold start -> old instance has no unanswered request
  double pause_us = 0;                     // the strand task: stop/save old, create/init/load/start new
  double hold_us = 0;                      // protocols held (requests delayed at most by about this)
  double total_us = 0;                     // replace_plugin called -> new instance serving
};

// The directory of shadow copies of this process (<tmp>/butter-dev-<pid>), created on demand.
std::string shadow_directory();
// Copies `file` to a new shadow copy (<shadow_directory>/<stem>.<generation>.so) and returns its
// path; "" and `err` set when it cannot. `generation` (if not null) receives the number used.
std::string make_shadow_copy(const std::string& file, Error& err, std::uint64_t* generation = nullptr);

}  // namespace butter::host
