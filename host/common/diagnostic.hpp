// Where a problem is, and what it is: the `file:line:column: message` form every
// validation error takes.
#pragma once

#include <string>
#include <vector>

namespace weft {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

struct Diagnostic {
  SourceLocation location;
  std::string message;

  /// `file:line:column: message` (line and column left out when unknown).
  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace weft
