#include "cli/database.hpp"

#include "embedded_db/cluster.hpp"

namespace weft::cli {

std::string database_url(const Args& args) {
  try {
    return embedded_db::resolve_database_url(args.value("--db"));
  } catch (const std::exception& error) {
    throw RuntimeError(error.what());
  }
}

std::unique_ptr<store::Store> open_store(const std::string& url) {
  try {
    store::migrate(url);
    return std::make_unique<store::Store>(url);
  } catch (const std::exception& error) {
    throw RuntimeError(error.what());
  }
}

}  // namespace weft::cli
