// The dashboard's files, compiled into the host (see CMakeLists.txt).
#pragma once

#include <string_view>
#include <vector>

namespace weft::dashboard {

struct Asset {
  std::string_view path;          // relative to assets/, e.g. "app.js", "pages/execution.js"
  std::string_view content_type;
  std::string_view etag;          // quoted, from the content's SHA-256
  std::string_view body;
};

/// Every file, sorted by path (generated).
const std::vector<Asset>& embedded_assets();

/// The file at `path` (relative to assets/), or null.
const Asset* find_asset(std::string_view path);

}  // namespace weft::dashboard
