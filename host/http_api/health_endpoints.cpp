// /healthz (the process answers), /readyz (it can do work) and /v1/health (how
// well, with one line of advice per check for the operator).
#include "http_api/endpoints.hpp"
#include "http_api/health_history.hpp"

#include <algorithm>

namespace weft::http_api {
namespace {

enum class Level { Healthy, Degraded, Unhealthy, Critical };

const char* name_of(Level level) {
  switch (level) {
    case Level::Healthy: return "HEALTHY";
    case Level::Degraded: return "DEGRADED";
    case Level::Unhealthy: return "UNHEALTHY";
    case Level::Critical: return "CRITICAL";
  }
  return "CRITICAL";
}

struct Check {
  std::string name;
  Level level = Level::Healthy;
  Json value;
  std::string advice;  // what to do; for a healthy check, what it looked at
};

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

void host_checks(const HostHealth& host, std::vector<Check>& checks) {
  Check pool{"pool", Level::Healthy,
             JsonObject{{"size", host.pool_size}, {"in_use", host.pool_in_use}, {"waiting", host.pool_waiting},
                        {"timeouts", host.pool_timeouts}},
             "database connections are available"};
  if (host.pool_waiting > 0 && host.pool_in_use >= host.pool_size) {
    pool.level = Level::Degraded;
    pool.advice = "every connection is in use and " + std::to_string(host.pool_waiting) +
                  " worker(s) wait for one: raise --db-pool (or lower --workers), or look for slow step SQL";
  }
  checks.push_back(std::move(pool));

  Check lease{"lease", Level::Healthy,
              JsonObject{{"since_renewal_ms", host.since_heartbeat_ms}, {"lease_ms", host.lease_ms}},
              "the host renews its lease on time"};
  if (!host.started) {
    lease.level = Level::Unhealthy;
    lease.advice = "the engine has not started yet";
  } else if (host.since_heartbeat_ms > host.lease_ms) {
    lease.level = Level::Critical;
    lease.advice = "the lease expired: other hosts take this host's executions; check the database connection";
  } else if (host.since_heartbeat_ms * 2 > host.lease_ms) {
    lease.level = Level::Unhealthy;
    lease.advice = "lease renewals are late: the database is slow or unreachable, or the host is overloaded";
  }
  checks.push_back(std::move(lease));

  Check breakers{"breakers", Level::Healthy,
                 JsonObject{{"open", JsonArray(host.open_breakers.begin(), host.open_breakers.end())},
                            {"half_open", JsonArray(host.half_open_breakers.begin(), host.half_open_breakers.end())}},
                 "no circuit breaker is open"};
  if (!host.open_breakers.empty()) {
    breakers.level = Level::Degraded;
    breakers.advice = "calls to " + join(host.open_breakers) +
                      " fail at once (circuit open): the service they call is failing; check it, steps retry after it recovers";
  }
  checks.push_back(std::move(breakers));
}

void definition_checks(const std::vector<StaleDefinition>& stale, std::vector<Check>& checks) {
  Check definitions{"definitions", Level::Healthy, JsonArray{}, "every workflow serves its current file"};
  if (!stale.empty()) {
    definitions.level = Level::Degraded;
    JsonArray value;
    for (const auto& entry : stale) {
      value.push_back(JsonObject{{"workflow", entry.workflow},
                                 {"file", entry.file},
                                 {"error", entry.error},
                                 {"served_version", entry.served_version}});
    }
    definitions.value = std::move(value);
    definitions.advice = "fix " + stale.front().file + " (" + stale.front().error + ")" +
                         (stale.size() > 1 ? " and " + std::to_string(stale.size() - 1) + " other file(s)" : "") +
                         ": until then the last valid version serves; run 'weft validate'";
  }
  checks.push_back(std::move(definitions));
}

void backlog_checks(const store::BacklogSnapshot& backlog, HealthHistory& history, std::vector<Check>& checks) {
  std::int64_t pending = 0;
  std::int64_t waiting = 0;
  for (const auto& count : backlog.live) {
    if (count.status == "pending") pending += count.count;
    if (count.status == "waiting") waiting += count.count;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto before = history.record({now, pending + backlog.unrouted_events, backlog.dead_letters});
  const bool compared = now - before.at >= std::chrono::seconds(30);

  Check queue{"backlog", Level::Healthy,
              JsonObject{{"pending", pending},
                         {"unrouted_events", backlog.unrouted_events},
                         {"waiting", waiting},
                         {"oldest_pending_ms", backlog.oldest_pending_ms ? Json(*backlog.oldest_pending_ms) : Json(nullptr)}},
              "work is taken on as it comes"};
  const auto oldest = backlog.oldest_pending_ms.value_or(0);
  const auto total = pending + backlog.unrouted_events;
  if (oldest > 600'000) {
    queue.level = Level::Unhealthy;
    queue.advice = "executions have waited over 10 minutes to start: add hosts or --workers, or look for a stuck concurrency key";
  } else if (oldest > 60'000 || (compared && total > before.backlog && total > 1000)) {
    queue.level = Level::Degraded;
    queue.advice = "the backlog is growing (" + std::to_string(total) +
                   " waiting to start): hosts take work slower than it arrives; add hosts or --workers";
  }
  if (backlog.live_hosts == 0) {
    queue.level = Level::Critical;
    queue.advice = "no live host is registered: nothing will run until a host starts";
  }
  checks.push_back(std::move(queue));

  Check dead{"dead_letters", Level::Healthy, JsonObject{{"count", backlog.dead_letters}},
             backlog.dead_letters == 0 ? "the dead-letter queue is empty"
                                       : "the dead-letter queue is not growing; 'weft dlq list' shows it"};
  if (compared && backlog.dead_letters > before.dead_letters) {
    dead.level = Level::Degraded;
    dead.advice = std::to_string(backlog.dead_letters - before.dead_letters) +
                  " execution(s) failed without compensation in the last minutes: see 'weft dlq list', fix the cause, "
                  "then 'weft dlq retry ID' or POST /v1/dlq/retry";
  }
  checks.push_back(std::move(dead));
}

}  // namespace

http::Response liveness(Call&) { return json_response(200, JsonObject{{"status", "alive"}}); }

http::Response readiness(Call& call) {
  const auto host = call.options.host_health ? call.options.host_health() : HostHealth{};
  if (!host.started || host.stopping)
    return http::error_response(http::ErrorCode::Unavailable,
                                host.stopping ? "the host is stopping" : "the host has not started yet");
  bool reachable = false;
  try {
    reachable = call.store().ping();
  } catch (const store::StoreError&) {
    call.drop_store();
  }
  if (!reachable)
    return http::error_response(http::ErrorCode::Unavailable, "the database does not answer");
  return json_response(200, JsonObject{{"status", "ready"}});
}

http::Response health(Call& call) {
  std::vector<Check> checks;
  if (call.options.host_health) host_checks(call.options.host_health(), checks);
  if (call.options.stale_definitions) definition_checks(call.options.stale_definitions(), checks);
  try {
    backlog_checks(call.store().backlog(), call.health_history, checks);
    checks.push_back({"database", Level::Healthy, JsonObject{{"reachable", true}}, "the database answers"});
  } catch (const std::exception& error) {
    call.drop_store();
    checks.push_back({"database", Level::Critical, JsonObject{{"reachable", false}},
                      std::string("the database does not answer (") + error.what() +
                          "): check that PostgreSQL runs and that --db points at it"});
  }
  Level level = Level::Healthy;
  JsonArray rows;
  for (const auto& check : checks) {
    level = std::max(level, check.level);
    rows.push_back(JsonObject{{"name", check.name}, {"level", name_of(check.level)}, {"value", check.value},
                              {"advice", check.advice}});
  }
  return json_response(level == Level::Critical ? 503 : 200, JsonObject{{"level", name_of(level)}, {"checks", std::move(rows)}});
}

}  // namespace weft::http_api
