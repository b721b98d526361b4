// JSON answers of the HTTP routes, built as nlohmann::ordered_json values (keys stay in the
// order they are set, the order the README documents). Keywords, messages and file names come
// from users and peers and may hold invalid UTF-8: dump_json writes a bad byte as U+FFFD, where a
// plain dump() would throw.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace butter::pcg {

using Json = nlohmann::ordered_json;

inline std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace butter::pcg
