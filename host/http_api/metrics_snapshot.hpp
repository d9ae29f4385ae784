// The database's families in /metrics: backlog per workflow and status, dead
// letters, unrouted events, live hosts. A series whose count went back to zero
// is written as 0, not dropped, so rates and alerts see it fall.
#pragma once

#include "metrics/registry.hpp"
#include "store/records.hpp"

#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace weft::http_api {

class DatabaseMetrics {
 public:
  DatabaseMetrics();
  /// The families for this reading, in the text format.
  std::string render(const store::BacklogSnapshot& backlog);
  /// weft_database_up 0 (the other families are left out).
  std::string render_down();

 private:
  std::mutex mutex_;
  metrics::Registry registry_;
  metrics::Registry down_;
  metrics::GaugeFamily& backlog_;
  metrics::GaugeFamily& dead_letters_;
  metrics::GaugeFamily& unrouted_;
  metrics::GaugeFamily& hosts_;
  metrics::GaugeFamily& oldest_pending_;
  metrics::GaugeFamily& up_;
  std::set<std::pair<std::string, std::string>> seen_;  // (workflow, status) written before
};

}  // namespace weft::http_api
