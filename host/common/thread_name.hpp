// Names the calling thread (as `top -H`, `perf` and debuggers show it), so an
// operator can tell workers, commit lanes and the dispatcher apart.
#pragma once

#include <string>

namespace weft {

/// Linux keeps at most 15 characters; longer names are cut.
void name_this_thread(const std::string& name);

}  // namespace weft
