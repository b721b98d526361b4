// SecureChannel: the socket-free state machine that turns a byte stream into an authenticated,
// encrypted one. Feed it received bytes; it hands back handshake bytes to write and decrypted
// application bytes; seal() turns application bytes into records to write.
//
// Wire format, after both sides' 8-byte preamble ("BUTR", version 1, mode 0 = Noise / 1 =
// plaintext, two zero bytes) — a mode mismatch fails with a clear reason on both sides:
//
//   Noise_XX_25519_ChaChaPoly_BLAKE2b (Noise spec rev. 34; the Noise part is transport/noise_xx.hpp,
//   checked against the published cacophony test vectors by tests/unit/transport/noise_vectors_test),
//   prologue "butter/secure/1", each handshake message prefixed with its u16 big-endian length:
//     1. initiator -> responder:  e
//     2. responder -> initiator:  e, ee, s, es, payload
//     3. initiator -> responder:  s, se, payload
//   Static keys are the X25519 conversion of each node's Ed25519 identity key (and are sent
//   encrypted). Each payload is the sender's Ed25519 public key (its node id) and its Ed25519
//   signature over "butter/secure/1 id" || handshake hash at that point; the receiver checks the
//   signature and that the key converts to the static key it just authenticated. The verified
//   key is the peer's node id.
//   Afterwards: records of u32 big-endian length + ChaCha20-Poly1305-IETF ciphertext and tag of at
//   most kMaxRecordPlaintext bytes, with the per-direction keys from Split() and the Noise nonce
//   (32 zero bits, then the 64-bit little-endian record counter).
//   Besides records, clear segments: u32 big-endian (0x80000000 | n), then n bytes as they are
//   (1 <= n <= kMaxRecordPlaintext). They carry a frame's clear tail (frame.hpp): ciphertext a
//   plugin sealed end to end, which a relay need not seal again. The channel hands them on marked
//   clear and does not judge them: the frame decoder takes them only as the tail that a sealed
//   frame head declared, so a forged segment anywhere else closes the connection, and a tampered
//   one is caught by the end-to-end channel the bytes belong to. They use no record counter.
//
// In plaintext mode (debugging only) the preamble exchange is all: bytes then pass unchanged and
// the peer is not authenticated.
#pragma once
#include "core/identity.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace butter::host {

namespace noise {
class CipherState;
class HandshakeXX;
}  // namespace noise

class SecureChannel {
 public:
  static constexpr std::size_t kPreambleBytes = 8;
  static constexpr std::size_t kMaxRecordPlaintext = 64 * 1024;
  static constexpr std::size_t kTagBytes = 16;
  static constexpr std::uint32_t kClearSegmentBit = 0x80000000u;

  // `identity` may be null only in plaintext mode.
  SecureChannel(std::shared_ptr<const Identity> identity, bool initiator, bool plaintext);
  ~SecureChannel();
  SecureChannel(const SecureChannel&) = delete;
  SecureChannel& operator=(const SecureChannel&) = delete;

  // The bytes to send first (the preamble and, for the initiator, handshake message 1). Once.
  std::vector<std::uint8_t> start();
  // Consumes received bytes. Appends handshake bytes to send to `wire` and decrypted application
  // bytes to `plain`. False once the channel failed (see error()); it then stays failed.
  bool feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& wire, std::vector<std::uint8_t>& plain);
  // Seals application bytes into records appended to `wire`. REQUIRES established().
  bool seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& wire);

  // The transport's zero-copy path (feed() and seal() above are built on it, for tests and tools).
  //
  // Where decrypted application bytes go: called once per record (per received chunk in
  // plaintext mode) with bytes valid during the call only, and once per clear segment with
  // `clear` true; returns false to stop (the connection closed), after which the rest of the
  // input is dropped. `headroom`: how many bytes right before a clear segment's bytes the sink may
  // overwrite (its header, and what of the same input was handed on before it); 0 for records.
  using PlainSink = std::function<bool(std::span<std::uint8_t>, bool clear, std::size_t headroom)>;
  // As feed(), but records are decrypted where they lie: in `in` itself (which is overwritten) or,
  // for a record cut by the end of a read, in the channel's own buffer.
  bool feed_in_place(std::span<std::uint8_t> in, std::vector<std::uint8_t>& wire, const PlainSink& sink);
  // The bytes seal_into() writes for `plain_bytes` of application data.
  std::size_t sealed_size(std::size_t plain_bytes) const;
  // Seals the concatenation of `pieces` (a frame's head and payload, several frames) straight into
  // `out` (sealed_size(total) bytes): each record's length, ciphertext and tag are written once,
  // with no joined copy of the plaintext. REQUIRES established() and not plaintext().
  bool seal_into(std::span<const std::span<const std::uint8_t>> pieces, std::uint8_t* out);
  // The bytes write_clear() writes for `bytes` of a clear tail, and the writing: clear segments of
  // at most kMaxRecordPlaintext bytes each, straight into `out`.
  static std::size_t clear_size(std::size_t bytes);
  static void write_clear(std::span<const std::uint8_t> bytes, std::uint8_t* out);
  // One segment's length field (n <= kMaxRecordPlaintext), for a writer that gathers the bytes.
  static constexpr std::size_t kClearHeaderBytes = 4;
  static void write_clear_header(std::size_t n, std::uint8_t* out);

  bool established() const { return state_ == State::kEstablished; }
  bool failed() const { return state_ == State::kFailed; }
  const std::string& error() const { return error_; }
  // The failure was a record or handshake message that did not authenticate (tampering).
  bool auth_failure() const { return auth_failure_; }
  bool plaintext() const { return plaintext_; }
  // The peer's node id, proven by the handshake; nullopt before, and always in plaintext mode.
  const std::optional<NodeId>& peer_id() const { return peer_id_; }
  // Bytes of capacity held for a partial record or handshake message (tests: an idle channel
  // keeps at most kIdleBufferKeep, see read_buffer.hpp).
  std::size_t buffered_capacity() const { return inbox_.capacity(); }

 private:
  enum class State { kNew, kPreamble, kHandshake, kEstablished, kFailed };

  bool fail(std::string why, bool auth = false);
  // The size of the unit (preamble, handshake message, record) that `p` starts, or the size of
  // its length field while that is incomplete; 0 when the length is out of bounds (failed).
  std::size_t unit_size(std::span<const std::uint8_t> p);
  // Plaintext decrypted where it lies in feed_in_place()'s input and not yet handed to the sink:
  // one record's, then the small records right after it (kJoinRatio), each moved back over the
  // length and tag between them, so the sink gets them as one span. A frame a little larger than
  // a record (a 64 KiB payload and its header) is then parsed where it was read, where the frame
  // decoder would otherwise copy the first record's 64 KiB to join it with the second's tail.
  struct Run {
    std::uint8_t* data = nullptr;
    std::size_t size = 0;
    std::size_t room = 0;  // bytes that may still join: the first record's plaintext / kJoinRatio
  };
  // Records join the run while, together, they are at most 1/kJoinRatio of its first one: the
  // moves cost at most that share of the copy they may save, and records of similar size (a
  // stream of large frames, whose partial frames the decoder copies anyway) are never moved.
  static constexpr std::size_t kJoinRatio = 8;
  // Hands the run to the sink (if any); false when the sink stopped.
  static bool flush_run(Run& run, const PlainSink& sink);
  // `run`: where a record's plaintext goes (null: straight to the sink).
  // `headroom`: bytes before `u` that were handed on already (feed_in_place's input before it).
  bool on_unit(std::span<std::uint8_t> u, std::vector<std::uint8_t>& wire, const PlainSink& sink, bool& stop,
               Run* run = nullptr, std::size_t headroom = 0);
  bool on_preamble(std::span<const std::uint8_t> p);
  bool on_handshake_message(std::span<const std::uint8_t> m, std::vector<std::uint8_t>& wire);
  bool on_record(std::span<std::uint8_t> c, const PlainSink& sink, bool& stop, Run* run);
  void write_message1(std::vector<std::uint8_t>& wire);
  bool write_message2(std::vector<std::uint8_t>& wire);
  bool write_message3(std::vector<std::uint8_t>& wire);
  bool read_message2(std::span<const std::uint8_t> m);
  bool read_message3(std::span<const std::uint8_t> m);
  std::vector<std::uint8_t> identity_payload() const;
  bool check_identity_payload(std::span<const std::uint8_t> payload, const std::uint8_t* hash_before);
  void split();

  std::shared_ptr<const Identity> identity_;
  bool initiator_;
  bool plaintext_;
  State state_ = State::kNew;
  int step_ = 0;  // handshake messages processed (sent or received)
  std::string error_;
  bool auth_failure_ = false;
  std::optional<NodeId> peer_id_;
  std::vector<std::uint8_t> inbox_;  // a unit cut by the end of a read, until the rest arrives

  // The Noise state (transport/noise_xx.hpp): the handshake until split(), then the two ciphers.
  std::unique_ptr<noise::HandshakeXX> hs_;
  std::unique_ptr<noise::CipherState> send_, recv_;
};

}  // namespace butter::host
