// butter/cpp/json.hpp — optional: JSON answers for a plugin's HTTP routes, with nlohmann/json.
//
//   Json answer;                      // keys stay in the order they are set
//   answer["node"] = peer_id;
//   res.body = butter::dump_json(answer);
//
// The one SDK header that needs a third-party library: nlohmann/json 3.x on the include path
// (CMake: link nlohmann_json::nlohmann_json; pkg-config: nlohmann_json). butter::sdk and butter.pc
// do not bring it, so a plugin that never includes this header does not need it.
//
// Peer- and user-supplied text (node ids, endpoints, keywords, error texts) may hold invalid
// UTF-8: dump_json writes a bad byte as U+FFFD, where a plain dump() would throw.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace butter {

using Json = nlohmann::ordered_json;

// Compact JSON text of `j`, invalid UTF-8 replaced rather than thrown on.
inline std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace butter
