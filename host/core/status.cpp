#include "core/status.hpp"

#include <butter/cpp/status.hpp>

namespace butter::host {

// The SDK's table (butter/cpp/status.hpp), so that the host and plugins name a code alike.
const char* status_name(std::int32_t code) { return butter::status_name(static_cast<butter_status>(code)); }

}  // namespace butter::host
