// The sub-commands of `weft`, one file each. Each returns its
// exit code and throws UsageError / RuntimeError for cli.cpp to report.
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

using CommandArgs = std::vector<std::string>;

int run_serve(const CommandArgs& args);
int run_validate(const CommandArgs& args);
int run_emit(const CommandArgs& args);
int run_start(const CommandArgs& args);
int run_status(const CommandArgs& args);
int run_list(const CommandArgs& args);
int run_trace(const CommandArgs& args);
int run_cancel(const CommandArgs& args);
int run_dlq(const CommandArgs& args);
int run_signal(const CommandArgs& args);

}  // namespace weft::cli
