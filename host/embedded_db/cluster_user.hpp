// Which operating-system user owns and runs the embedded cluster. PostgreSQL
// refuses to run as root, so a root weft hands the cluster to `postgres`.
#pragma once

#include "embedded_db/layout.hpp"

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weft::embedded_db {

struct ClusterUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;                 // for messages; the uid when there is no passwd entry
  std::string home;                 // HOME for the tools we run
  std::vector<gid_t> groups;        // supplementary groups, resolved before any fork
  bool is_current_process = true;   // false: tools run after dropping to this user
};

/// The user for the cluster at `layout`: the current user when not root; when
/// root, the non-root owner of an existing cluster, else the `postgres` user.
/// Throws std::runtime_error when there is no such user or the cluster belongs
/// to someone else.
ClusterUser resolve_cluster_user(const Layout& layout);

/// Whether `user` may search `dir`, by the owner/group/other bits (ACLs ignored).
bool can_traverse(const ClusterUser& user, const std::filesystem::path& dir);

struct GrantedSearch {
  std::filesystem::path dir;
  std::string permission;  // "o+x", or "g+x"/"u+x" when those bits are the ones that apply
};

/// Makes `dir` and each of its ancestors searchable by `user`, adding only the
/// execute bit that applies to that user, and only where it is missing.
/// Returns what was changed.
std::vector<GrantedSearch> grant_traversal(const ClusterUser& user,
                                           const std::filesystem::path& dir);

/// Gives `path` to `user` (no-op when the tools run as the current process).
void hand_over(const ClusterUser& user, const std::filesystem::path& path);

}  // namespace weft::embedded_db
