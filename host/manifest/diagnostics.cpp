// Rendering of manifest diagnostics: "file:line:column: error: message", one per line.
#include "manifest/manifest.hpp"

namespace butter::host {

std::string Diagnostic::to_string() const {
  std::string out;
  if (!pos.file.empty()) out += pos.file + ":";
  if (pos.line != 0) {
    out += std::to_string(pos.line) + ":";
    if (pos.column != 0) out += std::to_string(pos.column) + ":";
  }
  if (!out.empty()) out += " ";
  out += "error: ";
  out += message;
  return out;
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& d : items) {
    out += d.to_string();
    out += '\n';
  }
  return out;
}

}  // namespace butter::host
