// Process: fork + execve with everything the child needs prepared before the fork (the test
// process has threads, so the child only makes async-signal-safe calls until it executes).
#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace butter::test {

namespace {

// argv[0] when it holds a '/', else the first executable of that name on PATH ("" when none).
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    bool overridden = false;
    for (const auto& x : extra) overridden = overridden || name_of(x) == name_of(entry);
    if (!overridden) env.push_back(std::move(entry));
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

Process::Process(std::vector<std::string> argv, std::string log_path, std::vector<std::string> extra_env)
    : argv_(std::move(argv)), log_path_(std::move(log_path)) {
  if (argv_.empty()) throw std::invalid_argument("Process: empty argv");
  const std::string program = resolve_program(argv_[0]);
  if (program.empty()) throw std::runtime_error("Process: '" + argv_[0] + "' not found on PATH");

  // Everything the child uses is made here, before fork.
  std::vector<char*> cargv;
  for (auto& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env = merged_environment(extra_env);
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("Process: cannot open log " + log_path_ + ": " + std::strerror(errno));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the child writes errno here when execve fails; closed by a successful exec
  if (null_fd < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error(std::string("Process: ") + std::strerror(err));
  }
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log_fd);
    ::close(null_fd);
    ::close(report[0]);
    ::close(report[1]);
    throw std::runtime_error(std::string("Process: fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent is already gone
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execve(program.c_str(), cargv.data(), cenv.data());
    int err = errno;
    ssize_t ignored = ::write(report[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }

  ::setpgid(pid, pid);  // also here, so that the group exists before kill() can be called
  ::close(log_fd);
  ::close(null_fd);
  ::close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  pid_ = pid;
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid_ = -1;
    throw std::runtime_error("Process: cannot execute " + program + ": " + std::strerror(child_errno));
  }
}

Process::~Process() { stop(); }

void Process::reap(int status) { status_ = decode_status(status); }

bool Process::running() {
  if (status_ || pid_ < 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap(status);
    return false;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: treat as gone
    status_ = -1;
    return false;
  }
  return true;
}

std::optional<int> Process::exit_status() {
  running();
  return status_;
}

int Process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status_.value_or(-1);
}

void Process::kill(int sig) {
  if (pid_ < 0 || status_) return;
  if (::kill(-pid_, sig) != 0) ::kill(pid_, sig);
}

int Process::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0 || status_) return status_.value_or(-1);
  // Waits for the child to exit without reaping it: while it is an unreaped zombie its pid, and so
  // its process group id, cannot be reused, so signalling the group reaches only our own processes.
  auto exited = [&] {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
    return info.si_pid == pid_;
  };
  auto wait_exited = [&](std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  };
  ::kill(-pid_, SIGTERM);
  if (!wait_exited(grace)) {
    ::kill(-pid_, SIGKILL);
    wait_exited(std::chrono::milliseconds(5000));  // SIGKILL cannot be ignored; bounded anyway
  }
  ::kill(-pid_, SIGKILL);  // whatever the child started and left behind in its group
  running();               // reaps
  return status_.value_or(-1);
}

std::string Process::log() const { return file_contents(log_path_); }

}  // namespace butter::test
