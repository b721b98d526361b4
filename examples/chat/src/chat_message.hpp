// chat_message: the chat's one message format on the wire, its validation, its signature, and the
// text checks (UTF-8, length, control characters) shared by the network, HTTP and terminal inputs.
//
// A message is signed by its author's node key (butter.identity/1, context kSignContext) over every
// field but hops_left, which each forwarder decrements. The author field is the signer's public key
// in hex (the node id), so a reader checks the signature with the key the message names: a message
// claiming another node as its author cannot be made without that node's key. Version 1 messages
// were unsigned and are refused: their author field is a claim nobody can check.
#pragma once

#include <butter/wire.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

inline constexpr std::size_t kMaxText = 1000;  // bytes of UTF-8
inline constexpr std::size_t kMaxNick = 32;
inline constexpr std::uint8_t kMaxHops = 16;
inline constexpr std::uint8_t kVersion = 2;        // signed
inline constexpr std::uint8_t kLegacyVersion = 1;  // unsigned: refused
inline constexpr std::string_view kSignContext = "butter.example.chat/message";

using Key = std::array<std::uint8_t, 32>;
using Sig = std::array<std::uint8_t, 64>;

struct Message {
  std::string id;      // 16 random bytes, as 32 hex digits
  std::string author;  // node id of the sender, 64 hex digits
  std::string nick;
  std::uint64_t sent_unix_ms = 0;
  std::string text;
  std::uint8_t hops_left = kMaxHops;  // not signed: forwarders decrement it
  Sig signature{};                    // by `author`, context kSignContext, over signed_bytes()
};

// Why a text or a message is refused ("" = fine).
std::string check_text(std::string_view text);
std::string check_nick(std::string_view nick);
using butter::wire::valid_utf8;  // sdk: butter/wire.hpp

// u8 version (2), 16 bytes id, str16 author, str16 nick, u64 sent_unix_ms, str16 text, u8 hops_left,
// 64 bytes signature
std::vector<std::uint8_t> encode(const Message& m);
// nullopt (with the reason) for anything malformed, oversized or not valid UTF-8, and for unsigned
// legacy (version 1) messages. Decoding does not check the signature: see is_authentic.
std::optional<Message> decode(std::string_view bytes, std::string* why = nullptr);

// The bytes the signature covers: the version and every field but hops_left and the signature.
std::string signed_bytes(const Message& m);
// verify(key, context, message, signature) -> true when valid (butter::Identity::verify).
using VerifyFn = std::function<bool(const Key&, std::string_view, std::string_view, const Sig&)>;
// True when the signature verifies with the author key the message names; `why` says what is wrong.
bool is_authentic(const Message& m, const VerifyFn& verify, std::string* why = nullptr);

// History answers: u8 version, u16 count, then count x (u32 length, encoded message).
std::vector<std::uint8_t> encode_history(const std::vector<Message>& ms);
std::optional<std::vector<Message>> decode_history(std::string_view bytes, std::size_t max_count,
                                                   std::string* why = nullptr);

// Removes one trailing "\r" and surrounding spaces/tabs.
std::string_view trim(std::string_view s);

}  // namespace chat
