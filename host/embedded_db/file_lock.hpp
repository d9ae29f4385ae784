// An exclusive flock(2) on a file, held for the object's lifetime. Separate
// weft processes (and threads) starting the same cluster take turns on it.
#pragma once

#include <filesystem>

namespace weft::embedded_db {

class FileLock {
 public:
  /// Blocks until the lock on `path` (created if missing) is held. Throws std::runtime_error.
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace weft::embedded_db
