// How an action fails: throw weft::Failure for a failure that
// retrying cannot fix, weft::Error to choose a code and whether to retry. Any
// other exception is a retryable error with code "error".
#pragma once

#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace weft {

using Json = boost::json::value;

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message, bool retryable = true, Json details = nullptr)
      : std::runtime_error(message), code_(std::move(code)), retryable_(retryable), details_(std::move(details)) {}

  const std::string& code() const noexcept { return code_; }
  bool retryable() const noexcept { return retryable_; }
  const Json& details() const noexcept { return details_; }

 private:
  std::string code_;
  bool retryable_;
  Json details_;
};

/// A non-retryable failure: the step fails with `code` at once.
class Failure : public Error {
 public:
  Failure(std::string code, const std::string& message) : Error(std::move(code), message, false) {}
};

}  // namespace weft
