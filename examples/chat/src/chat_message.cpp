// chat_message: encoding and strict decoding of chat messages (see chat_message.hpp and README.md).
#include "chat_message.hpp"

#include <butter/wire.hpp>

#include <algorithm>

namespace chat {

namespace {
std::string check_line(std::string_view s, std::size_t max, const char* what) {
  if (s.empty()) return std::string(what) + " is empty";
  if (s.size() > max) return std::string(what) + " is longer than " + std::to_string(max) + " bytes";
  if (!valid_utf8(s)) return std::string(what) + " is not valid UTF-8";
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7F) return std::string(what) + " holds a control character";
  return {};
}
// A node id as chat compares it: 64 lower-case hex digits (one spelling per author).
bool is_node_id(std::string_view s) { return butter::wire::is_lower_hex(s, 64); }
}  // namespace

std::string check_text(std::string_view text) { return check_line(text, kMaxText, "text"); }
std::string check_nick(std::string_view nick) { return check_line(nick, kMaxNick, "nick"); }

namespace {
// Hex digits to bytes, `n` of them; digits missing or not hex read as zero (callers check first).
void from_hex(std::string_view hex, std::uint8_t* out, std::size_t n) {
  auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0; };
  for (std::size_t i = 0; i < n; ++i)
    out[i] = 2 * i + 1 < hex.size() ? static_cast<std::uint8_t>(v(hex[2 * i]) * 16 + v(hex[2 * i + 1])) : 0;
}

// Every field the signature covers, in wire order.
void write_signed_fields(butter::wire::Writer& w, const Message& m) {
  w.u8(kVersion);
  std::uint8_t id[16];
  from_hex(m.id, id, 16);
  w.bytes(id, 16);
  w.str16(m.author);
  w.str16(m.nick);
  w.u64(m.sent_unix_ms);
  w.str16(m.text);
}
}  // namespace

std::vector<std::uint8_t> encode(const Message& m) {
  butter::wire::Writer w;
  write_signed_fields(w, m);
  w.u8(m.hops_left);
  w.bytes(m.signature.data(), m.signature.size());
  return w.take();
}

std::string signed_bytes(const Message& m) {
  butter::wire::Writer w;
  write_signed_fields(w, m);
  const auto b = w.take();
  return std::string(b.begin(), b.end());
}

bool is_authentic(const Message& m, const VerifyFn& verify, std::string* why) {
  if (!is_node_id(m.author)) {
    if (why) *why = "author is not a node id";
    return false;
  }
  Key key{};
  from_hex(m.author, key.data(), key.size());
  if (!verify(key, kSignContext, signed_bytes(m), m.signature)) {
    if (why) *why = "bad signature";
    return false;
  }
  return true;
}

std::optional<Message> decode(std::string_view bytes, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Message> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  butter::wire::Reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const std::uint8_t version = r.u8();
  if (r.ok() && version == kLegacyVersion) return fail("unsigned legacy message (version 1)");
  if (r.ok() && version != kVersion) return fail("unknown version " + std::to_string(version));
  Message m;
  m.id = butter::wire::id_to_hex(r.bytes(16));
  m.author = std::string(r.str16(64));
  m.nick = std::string(r.str16(kMaxNick));
  m.sent_unix_ms = r.u64();
  m.text = std::string(r.str16(kMaxText));
  m.hops_left = r.u8();
  const std::string_view sig = r.bytes(m.signature.size());
  if (!r.ok()) return fail("truncated or oversized field");
  std::copy(sig.begin(), sig.end(), m.signature.begin());
  if (!r.at_end()) return fail("trailing bytes");
  if (!is_node_id(m.author)) return fail("author is not a node id");
  if (auto e = check_nick(m.nick); !e.empty()) return fail(e);
  if (auto e = check_text(m.text); !e.empty()) return fail(e);
  if (m.hops_left > kMaxHops) return fail("too many hops");
  return m;
}

std::vector<std::uint8_t> encode_history(const std::vector<Message>& ms) {
  butter::wire::Writer w;
  w.u8(kVersion);
  w.u16(static_cast<std::uint16_t>(ms.size()));
  for (const auto& m : ms) {
    const auto b = encode(m);
    w.u32(static_cast<std::uint32_t>(b.size()));
    w.bytes(b.data(), b.size());
  }
  return w.take();
}

std::optional<std::vector<Message>> decode_history(std::string_view bytes, std::size_t max_count, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<std::vector<Message>> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  butter::wire::Reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const std::uint8_t version = r.u8();
  const std::uint16_t n = r.u16();
  if (!r.ok()) return fail("truncated history");
  if (version != kVersion) return fail("unknown history version");
  if (n > max_count) return fail("too many messages in history");
  std::vector<Message> out;
  for (std::uint16_t i = 0; i < n; ++i) {
    const std::uint32_t len = r.u32();
    if (len > 4096) return fail("history entry too long");
    const std::string_view b = r.bytes(len);
    if (!r.ok()) return fail("truncated history entry");
    std::string reason;
    auto m = decode(b, &reason);
    if (!m) return fail("history entry: " + reason);
    out.push_back(std::move(*m));
  }
  if (!r.at_end()) return fail("trailing bytes after history");
  return out;
}

std::string_view trim(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace chat
