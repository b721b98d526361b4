// Pre-flight of a plugin file. Two layers: a bounds check of the ELF headers written here (so that
// a half-written file is named as truncated, and so that Boost.DLL's reader never sees a section
// pointing past the end of the file), then Boost.DLL's library_info for the exported symbols.
#include "loader/preflight.hpp"

#include <boost/dll/library_info.hpp>
#include <butter/entry.h>

#include <elf.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <type_traits>
#include <vector>

namespace butter::host {
namespace {

namespace fs = std::filesystem;

constexpr bool k64 = sizeof(void*) == 8;
using Ehdr = std::conditional_t<k64, Elf64_Ehdr, Elf32_Ehdr>;
using Shdr = std::conditional_t<k64, Elf64_Shdr, Elf32_Shdr>;
using Phdr = std::conditional_t<k64, Elf64_Phdr, Elf32_Phdr>;

#if defined(__x86_64__)
constexpr int kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr int kMachine = EM_386;
#elif defined(__arm__)
constexpr int kMachine = EM_ARM;
#elif defined(__riscv)
constexpr int kMachine = EM_RISCV;
#else
constexpr int kMachine = -1;  // unknown: not checked
#endif

Error invalid(std::string m) { return Error::make(BUTTER_E_INVALID, std::move(m)); }

std::string truncated(const std::string& what, std::uint64_t end, std::uint64_t size) {
  return "truncated or damaged shared object: " + what + " ends at byte " + std::to_string(end) +
         " but the file has only " + std::to_string(size) + " bytes";
}

// Checks the ELF header, program headers and section headers against the file size.
Error check_elf(std::ifstream& in, std::uint64_t size) {
  unsigned char ident[EI_NIDENT] = {};
  in.read(reinterpret_cast<char*>(ident), sizeof ident);
  const auto got = static_cast<std::uint64_t>(in.gcount());
  if (got < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return invalid("not a shared object (not an ELF file)");
  }
  if (size < sizeof(Ehdr)) return invalid(truncated("the ELF header", sizeof(Ehdr), size));
  if (ident[EI_CLASS] != (k64 ? ELFCLASS64 : ELFCLASS32)) {
    return invalid(std::string("not a shared object for this machine (a ") +
                   (ident[EI_CLASS] == ELFCLASS64 ? "64" : "32") + "-bit ELF file)");
  }
  const bool little = std::endian::native == std::endian::little;
  if (ident[EI_DATA] != (little ? ELFDATA2LSB : ELFDATA2MSB)) {
    return invalid("not a shared object for this machine (wrong byte order)");
  }
  Ehdr eh{};
  in.clear();
  in.seekg(0);
  in.read(reinterpret_cast<char*>(&eh), sizeof eh);
  if (!in) return invalid(truncated("the ELF header", sizeof(Ehdr), size));
  if (eh.e_type != ET_DYN) {
    return invalid("not a shared object (ELF type " + std::to_string(eh.e_type) +
                   (eh.e_type == ET_EXEC  ? ", an executable"
                    : eh.e_type == ET_REL ? ", an object file"
                                          : "") +
                   ")");
  }
  if (kMachine >= 0 && eh.e_machine != kMachine) {
    return invalid("not a shared object for this machine (ELF machine " + std::to_string(eh.e_machine) + ")");
  }
  if (eh.e_phnum != 0) {
    if (eh.e_phentsize != sizeof(Phdr)) return invalid("damaged shared object: unexpected program header size");
    const std::uint64_t end = std::uint64_t(eh.e_phoff) + std::uint64_t(eh.e_phnum) * sizeof(Phdr);
    if (end > size) return invalid(truncated("the program header table", end, size));
  }
  if (eh.e_shnum == 0) return invalid("damaged shared object: no section headers (cannot list its symbols)");
  if (eh.e_shentsize != sizeof(Shdr)) return invalid("damaged shared object: unexpected section header size");
  const std::uint64_t sh_end = std::uint64_t(eh.e_shoff) + std::uint64_t(eh.e_shnum) * sizeof(Shdr);
  if (sh_end > size) return invalid(truncated("the section header table", sh_end, size));
  if (eh.e_shstrndx >= eh.e_shnum) return invalid("damaged shared object: bad section name table index");

  std::vector<Shdr> sections(eh.e_shnum);
  in.seekg(static_cast<std::streamoff>(eh.e_shoff));
  in.read(reinterpret_cast<char*>(sections.data()), static_cast<std::streamsize>(sections.size() * sizeof(Shdr)));
  if (!in) return invalid(truncated("the section header table", sh_end, size));
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const Shdr& s = sections[i];
    if (s.sh_type == SHT_NOBITS || s.sh_type == SHT_NULL) continue;
    const std::uint64_t end = std::uint64_t(s.sh_offset) + std::uint64_t(s.sh_size);
    if (end < s.sh_offset || end > size) return invalid(truncated("section " + std::to_string(i), end, size));
  }
  return {};
}

}  // namespace

Error preflight_plugin_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error::make(BUTTER_E_NOT_FOUND, "no such file");
  if (fs::is_directory(status)) return invalid("is a directory, not a plugin file");
  if (!fs::is_regular_file(status)) return invalid("not a regular file");
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) return invalid("cannot read: " + ec.message());

  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return invalid("cannot open for reading");
    if (Error e = check_elf(in, size)) return e;
  }

  std::vector<std::string> symbols;
  try {
    boost::dll::library_info info(path);
    symbols = info.symbols();
  } catch (const std::exception& e) {
    // Not expected after check_elf, but library_info reads the file its own way.
    return invalid(std::string("not a shared object, or truncated (") + e.what() + ")");
  }
  if (std::find(symbols.begin(), symbols.end(), BUTTER_ENTRY_SYMBOL) == symbols.end()) {
    return invalid("not a Butter plugin: no `" BUTTER_ENTRY_SYMBOL "` symbol");
  }
  return {};
}

}  // namespace butter::host
