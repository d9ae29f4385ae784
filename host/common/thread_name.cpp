#include "common/thread_name.hpp"

#include <pthread.h>

namespace weft {

void name_this_thread(const std::string& name) {
  // A name is a convenience: failing to set one changes nothing else.
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace weft
