// The FILE.part of a `butter get`: no symlink, a regular file, locked for the whole get (part_file.hpp).
#include "cli/part_file.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace butter::host::cli {

namespace fs = std::filesystem;

std::optional<PartFile> PartFile::open(const fs::path& path, std::string& why) {
  const std::string name = path.string();
  // Between our open and our lock, the get that held the lock may have renamed the file to its
  // FILE: only a file still at this name is ours to write. A few tries, then give up.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
      const int e = errno;
      why = e == ELOOP ? name + " is a symlink; get writes only into a file of its own (remove it to go on)"
                       : name + ": " + std::strerror(e);
      return std::nullopt;
    }
    PartFile part(path, fd);
    struct stat held {};
    if (::fstat(fd, &held) != 0) {
      why = name + ": " + std::strerror(errno);
      return std::nullopt;
    }
    if (!S_ISREG(held.st_mode)) {
      why = name + " is not a regular file; get writes only into a file of its own (remove it to go on)";
      return std::nullopt;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      why = e == EWOULDBLOCK ? "another butter get is writing " + name +
                                   " (into the same FILE); let it finish or choose another -o FILE"
                             : name + ": cannot lock it: " + std::strerror(e);
      return std::nullopt;
    }
    struct stat named {};
    if (::lstat(path.c_str(), &named) == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino) return part;
  }
  why = name + " was replaced each time it was opened (another get finishing?); try again";
  return std::nullopt;
}

PartFile::PartFile(PartFile&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

PartFile::~PartFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t PartFile::size() const {
  struct stat st {};
  return ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool PartFile::has_size(std::uint64_t expected, std::string& why) const {
  const std::uint64_t n = size();
  if (n == expected) return true;
  why = path_.string() + " holds " + std::to_string(n) + " bytes, not the object's " + std::to_string(expected) +
        " (something else wrote into it)";
  return false;
}

std::FILE* PartFile::write_from(std::uint64_t at) {
  if (::ftruncate(fd_, static_cast<off_t>(at)) != 0) return nullptr;
  const int own = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return nullptr;
  std::FILE* f = ::fdopen(own, "r+b");
  if (!f) {
    const int e = errno;
    ::close(own);
    errno = e;
    return nullptr;
  }
  if (::fseeko(f, static_cast<off_t>(at), SEEK_SET) != 0) {
    const int e = errno;
    std::fclose(f);
    errno = e;
    return nullptr;
  }
  return f;
}

void PartFile::remove() { ::unlink(path_.c_str()); }

}  // namespace butter::host::cli
