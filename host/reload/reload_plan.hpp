// What a reload of the workflows directory changes, decided
// per workflow: a workflow whose file now has errors keeps its previous
// version serving, while valid changes to other workflows apply. No I/O but
// checking which files still exist.
#pragma once

#include "definitions/loader.hpp"

#include <vector>

namespace weft::reload {

struct VersionChange {
  definitions::DefinitionPtr before;
  definitions::DefinitionPtr after;
};

struct ReloadPlan {
  std::vector<definitions::DefinitionPtr> serving;  // after the reload, sorted by id
  std::vector<definitions::DefinitionPtr> added;
  std::vector<VersionChange> changed;               // same id, other content
  std::vector<definitions::DefinitionPtr> removed;  // its file is gone, and no other file defines it
  std::vector<definitions::DefinitionPtr> kept;     // its file has errors: the previous version stays
  Diagnostics diagnostics;                          // everything the directory load reported
  std::vector<definitions::InvalidFile> invalid_files;  // the files among them that gave no definition

  bool changes_serving() const { return !added.empty() || !changed.empty() || !removed.empty(); }
};

/// Merges a fresh load of the directory into what serves now. A workflow that
/// serves now and is not in `loaded` is kept when the file it came from still
/// exists and gave no valid definition (it has errors, or its id is defined
/// twice); it is removed when that file is gone or now defines another id.
ReloadPlan plan_reload(const std::vector<definitions::DefinitionPtr>& serving, definitions::DirectoryLoad loaded);

/// How a version is shown in logs: the declared version, with the content hash
/// prefix when the declared one does not identify the content.
std::string version_label(const std::string& version, const std::string& content_hash);
std::string version_label(const definitions::Definition& definition);

}  // namespace weft::reload
