// Which database a command uses (--db, else WEFT_DATABASE_URL, else the
// embedded cluster, started if needed) and a migrated connection to it.
#pragma once

#include "cli/args.hpp"
#include "store/store.hpp"

#include <memory>
#include <string>

namespace weft::cli {

std::string database_url(const Args& args);

/// Connects and migrates the schema. Throws RuntimeError with a clear message.
std::unique_ptr<store::Store> open_store(const std::string& url);

}  // namespace weft::cli
