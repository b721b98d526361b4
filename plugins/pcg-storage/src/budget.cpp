// Budget accounting (see budget.hpp).
#include "budget.hpp"

namespace butter::pcg {

bool Budget::reserve(std::uint64_t bytes, std::string& why) {
  if (bytes > free()) {
    why = "storage budget exceeded: needs " + std::to_string(bytes) + " bytes, " + std::to_string(free()) + " of " +
          std::to_string(capacity_) + " free";
    return false;
  }
  used_ += bytes;
  return true;
}

void Budget::release(std::uint64_t bytes) { used_ = bytes > used_ ? 0 : used_ - bytes; }

}  // namespace butter::pcg
