// The /storage HTTP routes of one PcgStorage: one named handler per route and stream event, and
// the transfers in progress by exchange token. What each route answers is written at the top of
// http_routes.cpp (registration, GET /storage, POST /storage); GET /storage/<id> is in
// http_download.cpp. Everything runs on the node's executor.
#pragma once
#include "pcg_plugin.hpp"

#include <map>

namespace butter::pcg {

class StorageRoutes {
 public:
  explicit StorageRoutes(PcgStorage& plugin) : plugin_(plugin) {}
  // Registers the routes: streamed (butter.http/2) when the host has streams, else whole bodies.
  void add();

  // A streamed put being received.
  struct Upload {
    std::uint64_t put_id = 0;  // the streamed put (PcgStorage::put_begin)
    bool wait = true;
  };
  // A held object being streamed out.
  struct Download {
    Hash id{};
    std::uint64_t next = 0, end = 0;  // bytes [next, end) still to write
  };
  // An object not held here, streamed from its group (PcgStorage::open_read) to the client.
  struct RemoteDownload {
    std::uint64_t read_id = 0;
    std::uint64_t first = 0;            // first byte asked for
    std::optional<std::uint64_t> last;  // last byte asked for (inclusive), from Range
    bool ranged = false, begun = false, finished = false;
    std::vector<std::uint8_t> waiting;  // the rest of a block the client's window could not take
    std::size_t waiting_at = 0;
  };

 private:
  // GET /storage: the listing (http_listing.cpp).
  void list(butter::HttpResponse& res);

  // A host without butter.http/2: whole bodies both ways, as before streams.
  void put_whole(const butter::HttpRequest& req, butter::HttpResponse& res);
  void get_whole(const butter::HttpRequest& req, butter::HttpResponse& res);

  // POST /storage, streamed into a streamed put.
  void put_request(const butter::HttpRequest& req, butter::HttpStream s);
  void put_body(butter::HttpStream s, Bytes chunk, bool last);
  void put_closed(butter::HttpStream s);
  // The engine's own words (budget.cpp) for a put refused before it reaches the engine.
  std::string over_budget(std::uint64_t needed) const;

  // GET /storage/<id> and /storage/<id>/manifest, streamed (http_download.cpp).
  void get_request(const butter::HttpRequest& req, butter::HttpStream s);
  void get_writable(butter::HttpStream s);
  void get_closed(butter::HttpStream s);
  // The three cases of get_request: a held object, one read from its group, a manifest not held.
  void serve_held(const butter::HttpRequest& req, butter::HttpStream s, const Hash& id, std::uint64_t size,
                  const std::string& etag);
  void serve_remote(const butter::HttpRequest& req, butter::HttpStream s, const Hash& id, std::string_view id_hex);
  void serve_remote_manifest(butter::HttpStream s, std::string_view id_hex, const std::string& etag);
  // The streamed read of serve_remote handing out a chunk, and ending.
  void remote_chunk(butter::HttpStream s, std::uint64_t token, const Hash& id, std::span<const std::uint8_t> bytes);
  void remote_done(butter::HttpStream s, std::uint64_t token, const Hash& id, butter_status st, std::uint64_t next,
                   const std::string& reason);

  PcgStorage& plugin_;
  std::map<std::uint64_t, Upload> uploads_;
  std::map<std::uint64_t, Download> downloads_;
  std::map<std::uint64_t, RemoteDownload> remote_;
};

// Answers shared by the routes' files.
inline constexpr const char* kText = "text/plain; charset=utf-8";
// The HTTP status for a failed read or put.
int http_status_of(butter_status st);

}  // namespace butter::pcg
