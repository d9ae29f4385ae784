// Signals, cancels and dead-letter retries of one execution: `weft signal`,
// `weft cancel`, `weft dlq retry` and their HTTP endpoints come here, so both
// refuse the same requests with the same messages.
#pragma once

#include "common/json.hpp"
#include "store/store.hpp"

#include <string>

namespace weft::api {

/// What became of a request; `message` says it to a person either way.
struct ControlResult {
  enum class Refusal {
    None,
    NotFound,  // no such execution (HTTP 404)
    Conflict,  // its state refuses it: finished, already cancelled, not a dead letter (HTTP 409)
    Invalid,   // the request itself is wrong: a signal nothing waits for (HTTP 400)
  };
  Refusal refusal = Refusal::None;
  std::string message;
  std::string status;  // the execution's status when it was looked at (may be empty)
  bool ok() const { return refusal == Refusal::None; }
};

/// Delivers signal `name` (with `data`) to an unfinished execution whose
/// pinned definition has a wait step for it.
ControlResult signal_execution(store::Store& store, const std::string& execution_id, const std::string& name,
                               const Json& data);
/// Requests the cancel of an unfinished execution (its completed steps are compensated).
ControlResult cancel_execution(store::Store& store, const std::string& execution_id);
/// Re-runs a failed execution from its failed step (or compensation).
ControlResult retry_dead_letter(store::Store& store, const std::string& execution_id);

}  // namespace weft::api
