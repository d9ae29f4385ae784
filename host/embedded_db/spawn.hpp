// Runs a PostgreSQL tool as the cluster user: fork, drop privileges, exec.
// No shell is involved; the tool's output is appended to a log file.
#pragma once

#include "embedded_db/cluster_user.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace weft::embedded_db {

/// Runs `argv` (argv[0] an absolute path) as `user`, in `cwd`, with stdin from
/// /dev/null and stdout/stderr appended to `output`. Returns the exit status,
/// or 128 + the signal number when the tool was killed. Throws
/// std::runtime_error when the tool cannot be started at all.
int run_as(const ClusterUser& user, const std::vector<std::string>& argv,
           const std::filesystem::path& output, const std::filesystem::path& cwd);

}  // namespace weft::embedded_db
