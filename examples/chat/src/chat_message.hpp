// chat_message: the chat's one message format on the wire, its validation, and the text checks
// (UTF-8, length, control characters) shared by the network, HTTP and terminal inputs.
#pragma once

#include <butter/wire.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

inline constexpr std::size_t kMaxText = 1000;  // bytes of UTF-8
inline constexpr std::size_t kMaxNick = 32;
inline constexpr std::uint8_t kMaxHops = 16;
inline constexpr std::uint8_t kVersion = 1;

struct Message {
  std::string id;      // 16 random bytes, as 32 hex digits
  std::string author;  // node id of the sender, 64 hex digits
  std::string nick;
  std::uint64_t sent_unix_ms = 0;
  std::string text;
  std::uint8_t hops_left = kMaxHops;
};

// Why a text or a message is refused ("" = fine).
std::string check_text(std::string_view text);
std::string check_nick(std::string_view nick);
using butter::wire::valid_utf8;  // sdk: butter/wire.hpp

// u8 version, 16 bytes id, str16 author, str16 nick, u64 sent_unix_ms, str16 text, u8 hops_left
std::vector<std::uint8_t> encode(const Message& m);
// nullopt (with the reason) for anything malformed, oversized or not valid UTF-8.
std::optional<Message> decode(std::string_view bytes, std::string* why = nullptr);

// History answers: u8 version, u16 count, then count x (u32 length, encoded message).
std::vector<std::uint8_t> encode_history(const std::vector<Message>& ms);
std::optional<std::vector<Message>> decode_history(std::string_view bytes, std::size_t max_count, std::string* why = nullptr);

// Removes one trailing "\r" and surrounding spaces/tabs.
std::string_view trim(std::string_view s);

}  // namespace chat
