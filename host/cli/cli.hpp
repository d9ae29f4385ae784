// The `weft` command line. Every sub-command returns its exit
// code: 0 success, 1 runtime failure, 2 usage or validation error. Errors are
// one clear line on stderr; nothing below this layer prints to the user.
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// Runs `weft <args...>` (args exclude the program name).
int run(const std::vector<std::string>& args);

}  // namespace weft::cli
