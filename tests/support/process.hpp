// Process: a child process for tests (a `butter` node, `ip netns exec ...`, a helper), started on
// construction with its stdout and stderr going to a log file, and always stopped on destruction:
// SIGTERM, a bounded wait, then SIGKILL. The child runs in a process group of its own (signals go
// to the whole group, so what it forks goes too) and gets SIGKILL if the thread that started it
// dies, so a test process killed by -9 leaves no orphan behind.
// REQUIRES: start processes from a thread that outlives them (the test's own thread): the
// parent-death signal fires when the starting *thread* exits.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace butter::test {

class Process {
 public:
  // Starts argv[0] (looked up on PATH when it holds no '/') with the arguments argv[1..], in the
  // current environment plus `extra_env` ("NAME=value" entries, which take precedence), stdout and
  // stderr appended to `log_path` (truncated first). Throws std::runtime_error when the log cannot
  // be opened or the program cannot be executed.
  Process(std::vector<std::string> argv, std::string log_path, std::vector<std::string> extra_env = {});
  ~Process();  // stop()

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // Whether the child has not exited yet (reaps it when it has).
  bool running();

  // Waits up to `timeout` for the child to exit. Returns its exit code, 128 + the signal number
  // when a signal ended it, or -1 when it is still running after the timeout.
  int wait_exit(std::chrono::milliseconds timeout);

  // The exit status as wait_exit() reports it, if the child has exited (does not wait).
  std::optional<int> exit_status();

  // Sends `sig` to the child's process group (the child and what it started). No-op once reaped.
  void kill(int sig);

  // SIGTERM to the group, up to `grace` for the child to exit, then SIGKILL; once the child has
  // exited, SIGKILL to what remains of its group; then reaps it. Returns the exit status as
  // wait_exit() reports it. Idempotent; does nothing to the group when the child was already
  // reaped (by running(), wait_exit() or exit_status()).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

  // The log written so far ("" when it cannot be read).
  std::string log() const;

 private:
  void reap(int status);

  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;  // set once reaped
};

// Reads a whole file ("" when it cannot be read).
std::string file_contents(const std::string& path);

// The path of the running executable (/proc/self/exe resolved).
std::string self_exe();

}  // namespace butter::test
