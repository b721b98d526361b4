// The FILE.part a `butter get` writes into, held for the whole get. It is opened without following
// a symlink (one planted there would have the get write into, and cut, the file it points to) and
// must be a regular file. It is locked (flock, exclusive, on the descriptor) so that a second get
// into the same FILE refuses at once instead of writing into the same bytes: two gets that did
// ended with a file of neither's length that each had verified its own bytes of. The lock lasts as
// long as the PartFile, so past the rename to FILE.
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace butter::host::cli {

class PartFile {
 public:
  // Opens `path` for reading and writing, creating it (0666 less the umask) when absent, and locks
  // it. nullopt with `why` when it is a symlink or not a regular file, when another get holds it,
  // or on any other error.
  static std::optional<PartFile> open(const std::filesystem::path& path, std::string& why);

  PartFile(PartFile&& other) noexcept;
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  PartFile& operator=(PartFile&&) = delete;
  ~PartFile();  // closes the descriptor, which ends the lock

  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_; }

  // The file's size now (0 when fstat fails).
  std::uint64_t size() const;

  // True when the file holds exactly `expected` bytes; else false with `why`. Before the rename:
  // verified bytes make a verified file only if nothing else wrote into it.
  bool has_size(std::uint64_t expected, std::string& why) const;

  // A stream that writes from byte `at`, the file cut there first. It has a descriptor of its own,
  // so closing it keeps the lock. nullptr with errno set on failure.
  std::FILE* write_from(std::uint64_t at);

  // Removes the file's name; the lock still held means no other get is using it.
  void remove();

 private:
  PartFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace butter::host::cli
