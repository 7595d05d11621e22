// Errors: expected failures travel as Result<T>; the one exception type, Error, is thrown for
// failures that end the command and is caught only in main(), printed as "xbuild: error: ...".
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace xb {

// The error that ends a command. Its message is complete: what went wrong, where, and how to fix.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = 1) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

struct Failure {
  std::string message;
};

// A value or a failure message. Small on purpose: ok(), value(), error(), or value_or_throw().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Failure failure) : state_(std::move(failure)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const std::string& error() const { return std::get<1>(state_).message; }

  T value_or_throw() && {
    if (!ok()) throw Error(error());
    return std::get<0>(std::move(state_));
  }

 private:
  std::variant<T, Failure> state_;
};

struct Ok {};
using Status = Result<Ok>;

inline Failure fail(std::string message) { return Failure{std::move(message)}; }

}  // namespace xb
