// JSON answers of the HTTP routes (/nat, /nat/ping, /nat/capture, /nat/throughput), built as
// butter::Json (butter/cpp/json.hpp: nlohmann::ordered_json) values: keys stay in the order they
// are set, which is the order the README documents. Node ids, endpoints, addresses and error texts
// come from peers and may hold invalid UTF-8: butter::dump_json writes a bad byte as U+FFFD.
#pragma once
#include <butter/cpp/json.hpp>

#include <string>

namespace butter::nat {

// A string, or null when it is empty (an ambassador or endpoint not there).
inline Json string_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

}  // namespace butter::nat
