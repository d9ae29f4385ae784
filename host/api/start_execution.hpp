// Starting an execution of a workflow on request: `weft start` and the HTTP
// API's POST /v1/workflows/{id}/executions both come here. Without a
// definition at hand, the version is the one live hosts serve (see
// Store::served_definition), so a start works from any directory and starts
// what an event would. Nothing here prints or knows about exit codes.
#pragma once

#include "common/json.hpp"
#include "definitions/definition.hpp"
#include "lua/vm.hpp"
#include "store/store.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::api {

struct StartRequest {
  std::string workflow;
  Json input = JsonObject{};
  /// The execution key; nullopt: the definition's `key:` template (if any).
  std::optional<std::string> key;
  /// Empty: a new trace id.
  std::string trace_id;
};

/// Where the started version came from.
enum class VersionSource {
  Given,         // the caller's definition (`weft start --workflows DIR`)
  Served,        // the version live hosts serve
  NewestStored,  // no live host serves the workflow: its newest stored version
};

struct StartedExecution {
  std::string execution_id;
  bool created = false;  // false: an execution already held the key; this is its id
  std::string workflow;
  std::string version;
  std::string content_hash;
  std::optional<std::string> key;
  std::string trace_id;  // of the new execution (an existing one keeps its own)
  VersionSource source = VersionSource::Given;
};

/// A start refused for what was asked (nothing was written).
class StartError : public std::runtime_error {
 public:
  enum class Reason {
    UnknownWorkflow,    // no version of the workflow is stored (HTTP 404)
    InvalidRequest,     // the input, key or concurrency template failed for this input (HTTP 400)
    BrokenDefinition,   // the stored version no longer loads (HTTP 500)
  };
  StartError(Reason reason, const std::string& message) : std::runtime_error(message), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

/// Starts `request.workflow` at the version live hosts serve, or, when none
/// serves it, at its newest stored version (`source` says which). With an
/// existing key, returns that execution (`created` false). Throws StartError,
/// and store::StoreError when the database fails. The message of an unknown
/// workflow names stored workflows with a similar name.
StartedExecution start_execution(store::Store& store, const StartRequest& request, lua::Vm& vm);

/// Stores `definition`'s snapshot and starts exactly that version
/// (`request.workflow` is ignored). Throws as above.
StartedExecution start_execution(store::Store& store, const definitions::Definition& definition,
                                 const StartRequest& request, lua::Vm& vm);

/// Workflow names among `known` close to `name` (a small edit distance, or
/// one containing the other), closest first.
std::vector<std::string> similar_names(const std::string& name, const std::vector<std::string>& known);

}  // namespace weft::api
