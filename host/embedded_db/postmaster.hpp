// Reading PostgreSQL's lock files (postmaster.pid, the socket's .lock) and
// telling a live postmaster from a stale file left behind by a killed one.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace weft::embedded_db {

/// The pid on the first line of a PostgreSQL lock file, if it has one.
std::optional<pid_t> read_lock_pid(const std::filesystem::path& lock_file);

/// Whether `pid` is a running (not zombie) process called "postgres".
bool is_live_postgres(pid_t pid);

/// Removes `lock_file` when the process it names is gone or is a zombie, which
/// PostgreSQL itself would take for a running server. Returns true if removed.
bool remove_if_stale(const std::filesystem::path& lock_file);

}  // namespace weft::embedded_db
