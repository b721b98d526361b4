// butter/wire.hpp — header-only, bounds-checked big-endian encoding for plugin messages.
//
// Every plugin decodes bytes from the network; this is the one reader they share, so that a
// truncated or hostile message is an error value, never an out-of-bounds read:
//
//   butter::wire::Reader r(payload);
//   auto version = r.u8(); auto id = r.bytes(32); auto name = r.str16();
//   if (!r.ok() || !r.at_end()) { /* malformed: count it, drop it */ }
//
// After the first failure every read returns a zero value and ok() stays false.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace butter::wire {

// Big-endian integers at a fixed place in a buffer the caller has sized and checked: what a codec
// with a fixed header uses (the host's frame header, HELLO) to write in place and read without a
// copy. Reader and Writer below are the bounds-checked way for everything else.
inline void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
inline void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
inline std::uint16_t get_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
  return v;
}
inline std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(const void* data, std::size_t n) {
    auto p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  // A string with a 16-bit length prefix; the caller keeps it under 65536 bytes.
  void str16(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  std::size_t size() const { return out_.size(); }
  const std::vector<std::uint8_t>& data() const { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> out_;
};

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t len) : p_(data), end_(data + (data ? len : 0)) {}
  template <class Bytes>
  explicit Reader(const Bytes& b) : Reader(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::string_view bytes(std::size_t n) {
    if (!need(n)) return {};
    std::string_view v(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return v;
  }
  // The same bytes as a byte span: copying them into a std::vector<std::uint8_t> is then one
  // memcpy (from a string_view's chars it is a byte-by-byte conversion loop: 12% of a node's CPU
  // when every 64 KiB block it fetched went through one).
  std::span<const std::uint8_t> octets(std::size_t n) {
    if (!need(n)) return {};
    std::span<const std::uint8_t> v(p_, n);
    p_ += n;
    return v;
  }
  std::string_view str16(std::size_t max_len = 65535) {
    std::size_t n = u16();
    if (n > max_len) {
      ok_ = false;
      return {};
    }
    return bytes(n);
  }
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

 private:
  bool need(std::size_t n) {
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::uint64_t get(int n) {
    if (!need(static_cast<std::size_t>(n))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | *p_++;
    return v;
  }
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool ok_ = true;
};

// True when `s` is well-formed UTF-8: no truncated sequence, overlong form, surrogate or value past
// U+10FFFF. Text that peers send (chat lines, page titles, keywords) is checked before it is kept.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

// valid_utf8 without control characters (C0, DEL) or NUL: what may stand in an id, a URI or a
// protocol id. The host's transport checks protocol ids and HELLO endpoints with it.
inline bool valid_utf8_text(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return valid_utf8(s);
}

// Bytes <-> hex digits, for ids, digests and dumps. to_hex writes lowercase, two digits a byte.
inline std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (const std::uint8_t c : bytes) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}
inline std::string to_hex(std::string_view bytes) {
  return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

namespace detail {
inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace detail

// Exactly out.size() bytes from 2 * out.size() hex digits (either case). False on anything else
// (`out` then holds garbage).
inline bool from_hex(std::string_view hex, std::span<std::uint8_t> out) {
  if (hex.size() != 2 * out.size()) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = detail::hex_digit(hex[2 * i]), lo = detail::hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}
// The bytes of `hex` (digits of either case); nullopt for an odd length or a non-hex character.
inline std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  if (!from_hex(hex, std::span<std::uint8_t>(out))) return std::nullopt;
  return out;
}

// True when `s` is exactly `digits` lowercase hex digits: the one spelling of an id that is
// compared as text (a node id, an object id), so that "AB.." and "ab.." cannot name one thing twice.
inline bool is_lower_hex(std::string_view s, std::size_t digits) {
  if (s.size() != digits) return false;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// 64 hex digits (either case) <-> 32 bytes. Returns false on anything else.
inline bool hex_to_id(std::string_view hex, std::uint8_t out[32]) {
  return from_hex(hex, std::span<std::uint8_t>(out, 32));
}

inline std::string id_to_hex(std::string_view bytes32) { return to_hex(bytes32); }

}  // namespace butter::wire
