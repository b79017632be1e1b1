// Status and Result<T>: the error tier for environment failures (a file that
// cannot be read, a server that refuses, a corrupt state file), DESIGN §8. A
// user's rules never fail this way: their problems are diagnostics. Both types
// are [[nodiscard]], so an ignored failure is a compiler warning.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace accord::base {

// ok, or a failure with a message for the person running Accord.
struct [[nodiscard]] Status {
  bool ok = true;
  std::string message;
  static Status Ok() { return {}; }
  static Status Error(std::string m) { return {false, std::move(m)}; }
  explicit operator bool() const { return ok; }
};

// For code that still passes errors on as text (and tests): true when `s` is
// ok, else false with its message in *error.
inline bool Succeeded(const Status& s, std::string* error) {
  if (!s.ok && error) *error = s.message;
  return s.ok;
}

template <typename T>
class Result;
// The same for a Result: true with its value in *out, else false with the message in *error.
template <typename T>
bool Succeeded(Result<T> r, T* out, std::string* error);
// The value of `r`, or T{} with the message in *error.
template <typename T>
T TakeValue(Result<T> r, std::string* error);

// A value, or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                                // NOLINT: implicit, as a return value
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok); }  // NOLINT
  explicit operator bool() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // The value; only when there is one.
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

template <typename T>
bool Succeeded(Result<T> r, T* out, std::string* error) {
  if (!r) return Succeeded(r.status(), error);
  *out = std::move(r).value();
  return true;
}

template <typename T>
T TakeValue(Result<T> r, std::string* error) {
  if (!r) {
    (void)Succeeded(r.status(), error);
    return T{};
  }
  return std::move(r).value();
}

}  // namespace accord::base
