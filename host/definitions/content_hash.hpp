// A stable digest of a SourceBundle: the identity of one exact snapshot of a
// workflow (its YAML and every script it names), and its default version.
#pragma once

#include "definitions/definition.hpp"

#include <string>
#include <string_view>

namespace weft::definitions {

/// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// SHA-256 over the YAML text and each script's path and content (length-prefixed,
/// in path order). The YAML file's own path is left out: moving a file keeps its hash.
std::string content_hash(const SourceBundle& bundle);

}  // namespace weft::definitions
