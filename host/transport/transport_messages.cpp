// TransportImpl, part 2: messaging — send, request, reply, and the frames that arrive on an up
// connection. The requests awaiting an answer, and their deadlines, are PendingRequests'.
#include "transport/transport_impl.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {

static std::span<const std::uint8_t> text_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error TransportImpl::send(const std::string& peer, const std::string& protocol, std::span<const std::uint8_t> payload) {
  if (stopped_) return Error::make(BUTTER_E_CANCELLED, "transport stopped");
  // Refuse an unsendable frame before dialling anything for it.
  if (auto why = check_outgoing(FrameType::kOneway, protocol, payload.size(), opts_.max_frame_bytes); !why.empty())
    return Error::make(BUTTER_E_INVALID, why);
  Error e;
  auto c = route(peer, e);
  if (!c) return e;
  return c->enqueue(FrameType::kOneway, 0, 0, protocol, payload);
}

Error TransportImpl::send_sealed(const std::string& peer, const std::string& protocol,
                                 std::span<const std::uint8_t> head, std::span<const std::uint8_t> sealed) {
  if (stopped_) return Error::make(BUTTER_E_CANCELLED, "transport stopped");
  // The bound of the larger of the two forms (with the clear-tail field), whichever goes out.
  if (auto why = check_outgoing(FrameType::kOneway, protocol, head.size() + sealed.size(), opts_.max_frame_bytes,
                                !sealed.empty());
      !why.empty())
    return Error::make(BUTTER_E_INVALID, why);
  Error e;
  auto c = route(peer, e);
  if (!c) return e;
  return c->enqueue_clear_tail(protocol, head, sealed);
}

Error TransportImpl::request(const std::string& peer, const std::string& protocol,
                             std::span<const std::uint8_t> payload, std::chrono::milliseconds timeout,
                             ResponseFn on_response, std::uint64_t* request_id) {
  if (stopped_) return Error::make(BUTTER_E_CANCELLED, "transport stopped");
  if (!on_response) return Error::make(BUTTER_E_INVALID, "request without a response callback");
  if (auto why = check_outgoing(FrameType::kRequest, protocol, payload.size(), opts_.max_frame_bytes); !why.empty())
    return Error::make(BUTTER_E_INVALID, why);
  Error e;
  auto c = route(peer, e);
  if (!c) return e;
  const std::uint64_t rid = pending_.next_id();
  if (auto err = c->enqueue(FrameType::kRequest, rid, 0, protocol, payload)) return err;
  pending_.add(rid, std::move(on_response), c->id(), c->up() ? c->peer().id : c->expected_id.value_or(NodeId{}),
               timeout);
  if (request_id) *request_id = rid;
  return Error::ok();
}

bool TransportImpl::cancel(std::uint64_t request_id) { return pending_.cancel(request_id); }

Error TransportImpl::reply_parts(ReplyToken token, std::int32_t status,
                                 std::span<const std::span<const std::uint8_t>> parts) {
  if (stopped_) return Error::make(BUTTER_E_CANCELLED, "transport stopped");
  auto found = table_.find(token.connection);
  if (!found || found->closed()) return Error::make(BUTTER_E_NOT_FOUND, "the requester's connection is gone");
  auto& c = *found;
  if (!c.open_inbound_requests.erase(token.request_id))
    return Error::make(BUTTER_E_NOT_FOUND, "request already answered or unknown");
  auto err = c.enqueue_parts(FrameType::kResponse, token.request_id, status, {}, parts);
  // A reply refused for backpressure may be retried with the same token; the id still counts
  // against max_inflight_requests, so a peer that never reads cannot grow this.
  if (err && err.code == BUTTER_E_AGAIN) c.open_inbound_requests.insert(token.request_id);
  return err;
}

void TransportImpl::connection_frame(Connection& c, const FrameView& f) {
  const NodeId from = c.peer().id;
  switch (f.type) {
    case FrameType::kRequest: {
      ReplyToken token{c.id(), f.request_id};
      if (c.open_inbound_requests.size() >= opts_.max_inflight_requests &&
          !c.open_inbound_requests.count(f.request_id)) {
        // Shed load from this peer only: answer at once, keep serving everyone else.
        ++stats_.requests_shed;
        if (!c.shedding_logged) {
          c.shedding_logged = true;
          spdlog::warn("{} {} has {} requests unanswered (max_inflight_requests); answering more with AGAIN", log_,
                       c.remote_address(), c.open_inbound_requests.size());
        }
        // The answer goes straight out and leaves no state: if even it cannot be queued (a peer
        // that does not read), it is dropped and that peer's request times out on its side.
        (void)c.enqueue(FrameType::kResponse, f.request_id, BUTTER_E_AGAIN, {},
                        text_bytes("too many requests in flight on this connection (limit " +
                                   std::to_string(opts_.max_inflight_requests) + ")"));
        return;
      }
      c.open_inbound_requests.insert(f.request_id);
      if (!handlers_.on_request) {
        reply(token, BUTTER_E_NOT_FOUND, text_bytes("no handler for protocol " + std::string(f.protocol)));
        return;
      }
      const std::string protocol(f.protocol);
      if (!guarded("on_request", [&] { handlers_.on_request(from, protocol, f.payload, token); })) {
        // The handler died before answering: answer for it, so the requester need not time out.
        if (!stopped_ && c.open_inbound_requests.count(f.request_id))
          reply(token, BUTTER_E_INTERNAL, text_bytes("the handler for " + protocol + " failed"));
      }
      return;
    }
    case FrameType::kOneway: {
      if (!handlers_.on_message) return;
      const std::string protocol(f.protocol);
      guarded("on_message", [&] { handlers_.on_message(from, protocol, f.payload); });
      return;
    }
    case FrameType::kResponse: {
      // A response must come back on the connection its request went out on.
      if (!pending_.respond(f.request_id, c.id(), f.status, f.payload)) {
        ++stats_.late_responses;
        spdlog::debug("{} ignoring late response {} from {}", log_, f.request_id, from.short_hex());
      }
      return;
    }
    case FrameType::kHello:
      return;  // handled by the connection
  }
}

}  // namespace butter::host
