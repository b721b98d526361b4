// JSON answers of the HTTP routes, built as nlohmann::ordered_json values (keys stay in the
// order they are set). Object ids, keywords, node ids and endpoints come from peers and users and
// may hold invalid UTF-8: dump_json writes a bad byte as U+FFFD, where a plain dump() would throw.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace butter::dbfs {

using Json = nlohmann::ordered_json;

inline std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace butter::dbfs
