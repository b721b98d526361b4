// butter/cpp/storage_results.hpp — what the calls of butter::Storage (storage.hpp) answer with,
// and the handler types that receive it.
#pragma once

#include <butter/cpp/reply_client.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace butter {

struct PutResult {
  Status status;
  std::string object_id;       // 64 hex digits; known even when replication failed, empty when refused
  std::uint32_t replicas = 0;  // group members holding it when reported
  bool ok() const noexcept { return status.ok(); }
};

struct GetResult {
  Status status;
  std::string object_id;
  std::string data;  // the object's bytes (verified against its id by the provider)
  bool ok() const noexcept { return status.ok(); }
};

// One object this node holds.
struct StoredObject {
  std::string object_id;
  std::uint64_t size_bytes = 0;
  std::vector<std::string> keywords;
  std::uint32_t group_size = 0;
};

struct ListResult {
  Status status;
  std::vector<StoredObject> objects;  // in object id order
  bool ok() const noexcept { return status.ok(); }
};

// The manifest of a held object (iface/storage2.h gives its format; SHA-256 of `bytes` is the id).
struct ManifestResult {
  Status status;
  std::string bytes;
  bool ok() const noexcept { return status.ok(); }
};

// A byte range of a held object: `data` starts at `offset`; shorter than asked at the object's end.
struct ReadResult {
  Status status;
  std::uint64_t offset = 0;
  std::string data;
  bool ok() const noexcept { return status.ok(); }
};

using PutHandler = std::function<void(const PutResult&)>;
using GetHandler = std::function<void(const GetResult&)>;
// A streamed read's chunk (borrowed for the call) and its end (status, first offset not delivered).
using ChunkHandler = std::function<void(std::uint64_t offset, Bytes chunk)>;
using ReadDoneHandler = std::function<void(const Status& status, std::uint64_t next_offset)>;

}  // namespace butter
