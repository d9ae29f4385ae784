// Which workflows serve an older version because their file has errors
// (at start and on every reload), for the health endpoint:
// such a host is DEGRADED. Written by `weft serve` at start and by the
// WorkflowReloader, read from any thread.
#pragma once

#include "definitions/loader.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace weft::reload {

struct StaleDefinition {
  std::string workflow;
  std::string file;          // the workflow file that has errors
  std::string error;         // its first error: `file:line:col: message`
  std::string version;       // the version served instead (declared, or the content hash prefix)
  std::string content_hash;  // of the version served instead
};

class DefinitionHealth {
 public:
  /// Replaces the whole list (what the last load or reload found).
  void set(std::vector<StaleDefinition> stale);
  /// Sorted by workflow; empty when every workflow serves what its file says.
  std::vector<StaleDefinition> stale() const;

 private:
  mutable std::mutex mutex_;
  std::vector<StaleDefinition> stale_;
};

/// One entry per definition of `kept` (served although its file has errors)
/// whose file, `source.path`, is one of `invalid`; with that file's first error.
std::vector<StaleDefinition> stale_definitions(const std::vector<definitions::DefinitionPtr>& kept,
                                               const std::vector<definitions::InvalidFile>& invalid);

}  // namespace weft::reload
