// What a step's own SQL may be, checked before anything is sent (exactly-once effects,
// the host's guarantee): the step's transaction belongs to the host, which commits it
// with the step's checkpoint, and the connection is pooled, so session state
// would outlive the step. Internal to store/.
#pragma once

#include "common/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::store {

/// Why `sql` with `params` may not run in a step's transaction; nullopt when it may.
std::optional<std::string> refused_step_sql(std::string_view sql, const std::vector<Json>& params);

}  // namespace weft::store
