// A step attempt's result as a value (never an exception that escapes a worker):
// its output, or an error {code, message, retryable}.
#pragma once

#include "common/json.hpp"

#include <string>
#include <utility>

namespace weft {

struct StepError {
  std::string code;  // "error", "timeout", a user code from weft.fail, ...
  std::string message;
  bool retryable = true;
  Json details;  // extra, machine-readable context (SQLSTATE, traceback, ...); null if none

  Json to_json() const;
  static StepError from_json(const Json& value);
};

class StepOutcome {
 public:
  static StepOutcome success(Json output) { return StepOutcome{std::move(output), {}, true}; }
  static StepOutcome failure(StepError error) { return StepOutcome{nullptr, std::move(error), false}; }

  bool ok() const { return ok_; }
  const Json& output() const { return output_; }
  const StepError& error() const { return error_; }

 private:
  StepOutcome(Json output, StepError error, bool ok)
      : output_(std::move(output)), error_(std::move(error)), ok_(ok) {}
  Json output_;
  StepError error_;
  bool ok_;
};

}  // namespace weft
