// butter/cpp/status.hpp — Status, Error and Bytes: the C++ faces of butter_status, butter_error
// and butter_bytes.
//
// Setup calls (on, every, http().get, datagram().open, ...) throw butter::Error when the host
// refuses; I/O calls (send, request, reply) return a Status, because failing is part of their
// normal life (a full queue, a gone peer). Every exception is caught at the C boundary.
#pragma once

#include <butter/butter.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter {

// The symbolic name of a status code ("BUTTER_E_INVALID"); unknown codes give "BUTTER_E_?".
inline const char* status_name(butter_status code) noexcept {
  switch (code) {
    case BUTTER_OK:
      return "BUTTER_OK";
    case BUTTER_E_INVALID:
      return "BUTTER_E_INVALID";
    case BUTTER_E_UNSUPPORTED:
      return "BUTTER_E_UNSUPPORTED";
    case BUTTER_E_NOT_FOUND:
      return "BUTTER_E_NOT_FOUND";
    case BUTTER_E_AGAIN:
      return "BUTTER_E_AGAIN";
    case BUTTER_E_UNAVAILABLE:
      return "BUTTER_E_UNAVAILABLE";
    case BUTTER_E_NOMEM:
      return "BUTTER_E_NOMEM";
    case BUTTER_E_INTERNAL:
      return "BUTTER_E_INTERNAL";
    case BUTTER_E_TIMEOUT:
      return "BUTTER_E_TIMEOUT";
    case BUTTER_E_CANCELLED:
      return "BUTTER_E_CANCELLED";
    default:
      return "BUTTER_E_?";
  }
}

// The outcome of a call: a code (BUTTER_OK or an error) and, for errors, a reason.
class Status {
 public:
  Status() = default;
  Status(butter_status code, std::string message = {}) : code_(code), message_(std::move(message)) {
    if (code_ != BUTTER_OK && message_.empty()) message_ = status_name(code_);
  }
  // From a C call's status and the butter_error it filled.
  static Status from(butter_status code, const butter_error& err) {
    return Status(code, code == BUTTER_OK ? std::string() : std::string(err.message));
  }

  bool ok() const noexcept { return code_ == BUTTER_OK; }
  explicit operator bool() const noexcept { return ok(); }
  butter_status code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  butter_status code_ = BUTTER_OK;
  std::string message_;
};

// Thrown by setup calls the host refused, and by plugins that want a specific code to reach the
// host (`throw butter::Error(BUTTER_E_INVALID, "interval_ms must be > 0")` in init).
class Error : public std::runtime_error {
 public:
  Error(butter_status code, const std::string& message)
      : std::runtime_error(message), code_(code == BUTTER_OK ? BUTTER_E_INTERNAL : code) {}
  explicit Error(const Status& s) : Error(s.code(), s.message()) {}
  butter_status code() const noexcept { return code_; }

 private:
  butter_status code_;
};

// A borrowed byte span (the C++ butter_bytes). Built implicitly from strings, string literals,
// byte vectors and spans, so that every payload parameter takes any of them. Borrowed: it does
// not own what it points at.
class Bytes {
 public:
  Bytes() = default;
  Bytes(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(data ? size : 0) {}
  Bytes(std::string_view s) noexcept : Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) {}
  Bytes(const char* s) noexcept : Bytes(s ? std::string_view(s) : std::string_view()) {}
  Bytes(const std::string& s) noexcept : Bytes(std::string_view(s)) {}
  Bytes(std::span<const std::uint8_t> s) noexcept : Bytes(s.data(), s.size()) {}
  Bytes(const std::vector<std::uint8_t>& v) noexcept : Bytes(v.data(), v.size()) {}
  Bytes(butter_bytes b) noexcept : Bytes(b.data, b.len) {}

  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view text() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
  std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }
  std::vector<std::uint8_t> to_vector() const { return {data_, data_ + size_}; }
  butter_bytes c() const noexcept { return {data_, size_}; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// butter_str <-> std::string_view.
inline butter_str to_c(std::string_view s) noexcept { return {s.data(), s.size()}; }
inline std::string_view to_sv(butter_str s) noexcept {
  return s.data ? std::string_view(s.data, s.len) : std::string_view();
}

}  // namespace butter
