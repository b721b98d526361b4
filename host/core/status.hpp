// Host-side view of the SDK status codes, and a Result carrying a message.
#pragma once
#include <butter/status.h>

#include <cstdint>
#include <string>

namespace butter::host {

struct Error {
  std::int32_t code = BUTTER_OK;
  std::string message;

  explicit operator bool() const { return code != BUTTER_OK; }
  static Error ok() { return {}; }
  static Error make(std::int32_t c, std::string m) { return {c, std::move(m)}; }
};

// Name of a status code, for logs ("BUTTER_E_TIMEOUT"); unknown codes are named as such.
const char* status_name(std::int32_t code);

}  // namespace butter::host
