// The CloudEvents conformance cases under tests/unit/routing/cases/cloudevents:
// valid/<name>.json must be accepted; invalid/<name>.json refused with an error
// containing invalid/<name>.expect. A case whose JSON starts with `[` is a batch.
// The routing unit tests and the HTTP tests read the same files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace weft::test {

/// The cases of `folder` ("valid" or "invalid"), sorted by name.
std::vector<std::filesystem::path> cloudevent_cases(const std::string& folder);
/// A file's whole text.
std::string read_text_file(const std::filesystem::path& file);
/// The error an invalid case expects (its .expect file, without the line end).
std::string expected_error(const std::filesystem::path& case_file);
/// True when the case is a batch (a JSON array).
bool is_batch_case(const std::string& text);

}  // namespace weft::test
