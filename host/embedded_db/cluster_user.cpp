#include "embedded_db/cluster_user.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace weft::embedded_db {
namespace fs = std::filesystem;

namespace {

constexpr const char* kServiceUser = "postgres";

std::string errno_text(int error) { return std::strerror(error); }

std::optional<struct stat> stat_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

std::vector<gid_t> groups_of(const char* name, gid_t primary) {
  int count = 16;
  std::vector<gid_t> groups(count);
  while (::getgrouplist(name, primary, groups.data(), &count) == -1) {
    groups.resize(static_cast<std::size_t>(count) + 16);
    count = static_cast<int>(groups.size());
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

ClusterUser from_passwd(const struct passwd& pw, bool is_current_process) {
  ClusterUser user;
  user.uid = pw.pw_uid;
  user.gid = pw.pw_gid;
  user.name = pw.pw_name;
  user.home = pw.pw_dir != nullptr ? pw.pw_dir : "/";
  user.groups = groups_of(pw.pw_name, pw.pw_gid);
  user.is_current_process = is_current_process;
  return user;
}

ClusterUser current_user() {
  const uid_t uid = ::geteuid();
  if (const struct passwd* pw = ::getpwuid(uid)) return from_passwd(*pw, true);
  // Containers often run with a uid that has no passwd entry; that is fine here.
  ClusterUser user;
  user.uid = uid;
  user.gid = ::getegid();
  user.name = std::to_string(uid);
  user.home = "/";
  user.groups = {user.gid};
  return user;
}

ClusterUser user_with_uid(uid_t uid) {
  if (const struct passwd* pw = ::getpwuid(uid)) return from_passwd(*pw, false);
  throw std::runtime_error("the embedded cluster belongs to uid " + std::to_string(uid) +
                           ", which has no passwd entry; chown it to 'postgres' or move it");
}

}  // namespace

ClusterUser resolve_cluster_user(const Layout& layout) {
  const auto data = stat_of(layout.data_dir);
  if (::geteuid() != 0) {
    ClusterUser self = current_user();
    if (data && data->st_uid != self.uid) {
      throw std::runtime_error("the embedded cluster at " + layout.data_dir.string() +
                               " belongs to uid " + std::to_string(data->st_uid) +
                               "; run weft as that user or use another WEFT_HOME");
    }
    return self;
  }
  if (data) {
    if (data->st_uid == 0) {
      throw std::runtime_error("the embedded cluster at " + layout.data_dir.string() +
                               " is owned by root, and PostgreSQL refuses to run as root; "
                               "chown -R it to 'postgres'");
    }
    return user_with_uid(data->st_uid);
  }
  errno = 0;
  const struct passwd* pw = ::getpwnam(kServiceUser);
  if (pw == nullptr) {
    throw std::runtime_error(
        "PostgreSQL refuses to run as root and there is no 'postgres' system user to run the "
        "embedded cluster as; install the 'postgresql' package or run weft as a non-root user");
  }
  if (pw->pw_uid == 0) {
    throw std::runtime_error("the 'postgres' system user has uid 0; PostgreSQL cannot run as it");
  }
  return from_passwd(*pw, false);
}

bool can_traverse(const ClusterUser& user, const fs::path& dir) {
  const auto st = stat_of(dir);
  if (!st) return false;
  if (user.uid == 0) return true;
  // The kernel picks exactly one class: owner, else a matching group, else other.
  if (st->st_uid == user.uid) return (st->st_mode & S_IXUSR) != 0;
  const bool in_group = st->st_gid == user.gid ||
                        std::find(user.groups.begin(), user.groups.end(), st->st_gid) !=
                            user.groups.end();
  if (in_group) return (st->st_mode & S_IXGRP) != 0;
  return (st->st_mode & S_IXOTH) != 0;
}

std::vector<GrantedSearch> grant_traversal(const ClusterUser& user, const fs::path& dir) {
  std::vector<GrantedSearch> changed;
  fs::path prefix;
  for (const auto& part : fs::absolute(dir).lexically_normal()) {
    if (part.empty()) continue;
    prefix /= part;
    if (can_traverse(user, prefix)) continue;
    const auto st = stat_of(prefix);
    if (!st) throw std::runtime_error("cannot stat " + prefix.string() + ": " + errno_text(errno));
    mode_t bit = S_IXOTH;
    const char* permission = "o+x";
    if (st->st_uid == user.uid) {
      bit = S_IXUSR;
      permission = "u+x";
    } else if (st->st_gid == user.gid || std::find(user.groups.begin(), user.groups.end(),
                                                   st->st_gid) != user.groups.end()) {
      bit = S_IXGRP;
      permission = "g+x";
    }
    if (::chmod(prefix.c_str(), (st->st_mode & 07777) | bit) != 0) {
      throw std::runtime_error("user '" + user.name + "' cannot reach " + dir.string() +
                               " and granting it search permission on " + prefix.string() +
                               " failed: " + errno_text(errno));
    }
    changed.push_back({prefix, permission});
  }
  return changed;
}

void hand_over(const ClusterUser& user, const fs::path& path) {
  if (user.is_current_process) return;
  if (::chown(path.c_str(), user.uid, user.gid) != 0) {
    throw std::runtime_error("cannot give " + path.string() + " to user '" + user.name +
                             "': " + errno_text(errno));
  }
}

}  // namespace weft::embedded_db
