// Rate-limit keys from a remote address (see address_key.hpp): the SDK's network keys
// (butter/network_key.hpp, shared with knownhosts-quality and pcg-storage placement), with
// loopback given no keys.
#include "address_key.hpp"

#include <butter/network_key.hpp>

namespace butter::dbfs {

SourceKeys source_keys(std::string_view remote_address) {
  const NetworkKey k = network_key(remote_address);
  if (k.loopback) return {};  // loopback: see the header
  return {k.address, k.prefix};
}

}  // namespace butter::dbfs
