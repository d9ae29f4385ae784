#include "cli/db_command.hpp"

#include "cli/args.hpp"

namespace weft::cli {

// Replaced by the embedded database work; kept so the tree builds meanwhile.
int run_db_command(const std::vector<std::string>&) {
  throw RuntimeError("the embedded database is not built yet");
}

}  // namespace weft::cli
