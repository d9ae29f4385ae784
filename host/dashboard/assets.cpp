#include "dashboard/assets.hpp"

#include <algorithm>

namespace weft::dashboard {

const Asset* find_asset(std::string_view path) {
  const auto& assets = embedded_assets();
  const auto found = std::lower_bound(assets.begin(), assets.end(), path,
                                      [](const Asset& asset, std::string_view wanted) { return asset.path < wanted; });
  return found != assets.end() && found->path == path ? &*found : nullptr;
}

}  // namespace weft::dashboard
