#include "http_api/metrics_snapshot.hpp"

namespace weft::http_api {

DatabaseMetrics::DatabaseMetrics()
    : backlog_(registry_.gauge("weft_backlog_executions", "Unfinished executions by workflow and status",
                               {"workflow", "status"})),
      dead_letters_(registry_.gauge("weft_dead_letters", "Executions in the dead-letter queue")),
      unrouted_(registry_.gauge("weft_unrouted_events", "Stored events no host has routed yet")),
      hosts_(registry_.gauge("weft_live_hosts", "Hosts with a current lease on this database")),
      oldest_pending_(registry_.gauge("weft_oldest_pending_seconds",
                                      "How long the oldest claimable pending execution has waited")),
      up_(registry_.gauge("weft_database_up", "1 when the last scrape could read the database")) {
  down_.gauge("weft_database_up", "1 when the last scrape could read the database").labels().set(0);
}

std::string DatabaseMetrics::render(const store::BacklogSnapshot& backlog) {
  std::lock_guard lock(mutex_);
  std::set<std::pair<std::string, std::string>> now;
  for (const auto& count : backlog.live) {
    backlog_.labels({count.workflow, count.status}).set(static_cast<double>(count.count));
    now.emplace(count.workflow, count.status);
  }
  for (const auto& key : seen_) {
    if (!now.count(key)) backlog_.labels({key.first, key.second}).set(0);
  }
  seen_.insert(now.begin(), now.end());
  dead_letters_.labels().set(static_cast<double>(backlog.dead_letters));
  unrouted_.labels().set(static_cast<double>(backlog.unrouted_events));
  hosts_.labels().set(static_cast<double>(backlog.live_hosts));
  oldest_pending_.labels().set(static_cast<double>(backlog.oldest_pending_ms.value_or(0)) / 1000.0);
  up_.labels().set(1);
  return registry_.render();
}

std::string DatabaseMetrics::render_down() {
  std::lock_guard lock(mutex_);
  return down_.render();
}

}  // namespace weft::http_api
