// What `weft serve` serves at start when files have errors
// (as on a reload): a workflow whose file is invalid keeps serving its last
// valid version, the newest one stored in the database. Also the record of
// what a host serves (weft.served_definitions), which `weft start` reads.
#pragma once

#include "definitions/loader.hpp"
#include "reload/definition_health.hpp"

#include <string>
#include <vector>

namespace weft::reload {

/// Logs every error of `loaded` and returns what to serve: its valid
/// definitions and, for each invalid file whose workflow is known (its `id:`,
/// else the file path recorded with a stored version) and not served by a valid
/// file, the newest stored version of that workflow, loaded with `options` as
/// if from that file. A workflow with no stored version is not served (logged).
/// Records the workflows served that way in `health`. Sorted by id. Never
/// throws: when the database cannot be read, invalid workflows are not served.
std::vector<definitions::DefinitionPtr> with_last_valid_versions(const definitions::DirectoryLoad& loaded,
                                                                 const std::string& database_url,
                                                                 const definitions::LoadOptions& options,
                                                                 DefinitionHealth& health);

/// Records in the database that this process's host serves `serving` for new
/// executions (Store::set_served_definitions). Never throws: false (logged)
/// when it could not.
bool record_served(const std::string& database_url, const std::vector<definitions::DefinitionPtr>& serving);

}  // namespace weft::reload
