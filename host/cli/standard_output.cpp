// Standard output of the file commands (standard_output.hpp).
#include "cli/standard_output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace butter::host::cli {

std::string stdout_error(int e) { return std::string("cannot write to standard output: ") + std::strerror(e); }

std::string closed_stdout() { return ::fcntl(STDOUT_FILENO, F_GETFD) < 0 ? stdout_error(errno) : std::string(); }

std::string flush_stdout() { return std::fflush(stdout) != 0 ? stdout_error(errno) : std::string(); }

}  // namespace butter::host::cli
