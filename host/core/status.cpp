#include "core/status.hpp"

namespace butter::host {

const char* status_name(std::int32_t code) {
  switch (code) {
    case BUTTER_OK:
      return "BUTTER_OK";
    case BUTTER_E_INVALID:
      return "BUTTER_E_INVALID";
    case BUTTER_E_UNSUPPORTED:
      return "BUTTER_E_UNSUPPORTED";
    case BUTTER_E_NOT_FOUND:
      return "BUTTER_E_NOT_FOUND";
    case BUTTER_E_AGAIN:
      return "BUTTER_E_AGAIN";
    case BUTTER_E_UNAVAILABLE:
      return "BUTTER_E_UNAVAILABLE";
    case BUTTER_E_NOMEM:
      return "BUTTER_E_NOMEM";
    case BUTTER_E_INTERNAL:
      return "BUTTER_E_INTERNAL";
    case BUTTER_E_TIMEOUT:
      return "BUTTER_E_TIMEOUT";
    case BUTTER_E_CANCELLED:
      return "BUTTER_E_CANCELLED";
    default:
      return "unknown status";
  }
}

}  // namespace butter::host
