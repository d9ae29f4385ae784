// `weft db start | stop | status | url`: the embedded PostgreSQL cluster.
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

/// Runs `weft db <args...>` and returns the exit code.
int run_db_command(const std::vector<std::string>& args);

}  // namespace weft::cli
