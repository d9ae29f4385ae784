// Shared helpers for the definitions suites: where the YAML cases live, a
// throwaway directory to write workflows into, and diagnostics as text.
#pragma once

#include "common/diagnostic.hpp"

#include <filesystem>
#include <string>

namespace weft::definitions::testing {

inline std::filesystem::path cases_dir() {
  return std::filesystem::path(WEFT_SOURCE_DIR) / "tests" / "unit" / "definitions" / "cases";
}

/// A fresh directory under the system temp folder, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to `relative` (folders created); returns the full path.
  std::filesystem::path write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// One diagnostic per line, for failure messages.
std::string render(const Diagnostics& diagnostics);

}  // namespace weft::definitions::testing
