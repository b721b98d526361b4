// Standard output of `butter put/cat/search`: what a command prints there is its result (the id
// of what put stored, the object, the hits), so a write that fails fails the command, saying why.
#pragma once
#include <string>

namespace butter::host::cli {

// "" when standard output is open, else why not ("cannot write to standard output: Bad file
// descriptor"). Asked before anything is opened: a closed descriptor 1 is taken by the next file
// or socket opened (asio's eventfd, the connection, FILE), and the output would go there, failing
// with that one's error (EINVAL) or not at all.
std::string closed_stdout();

// "cannot write to standard output: " and errno `e`'s text.
std::string stdout_error(int e);

// Flushes standard output: "" when what was left in stdio's buffer went out, else why not. The
// last bytes wait there until the end (a few lines, a small object), so a full device shows only
// here. Each write before it is the caller's to check.
std::string flush_stdout();

}  // namespace butter::host::cli
