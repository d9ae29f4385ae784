// The weft executable: argv in, exit code out. Everything else is in libweft.
#include "cli/cli.hpp"

#include <csignal>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  // A dropped database socket must surface as an error from libpq, not kill the host.
  std::signal(SIGPIPE, SIG_IGN);
  return weft::cli::run(std::vector<std::string>(argv + 1, argv + argc));
}
