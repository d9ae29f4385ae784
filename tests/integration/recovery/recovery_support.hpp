// Helpers for the recovery suite: plain SQL against the database the hosts
// use (to see exactly what they wrote), host ids, and event batches.
#pragma once

#include "support/process.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

/// One connection for the test's own queries (reconnects after a server restart).
class Sql {
 public:
  explicit Sql(std::string url) : url_(std::move(url)) {}

  template <typename... Params>
  pqxx::result query(const std::string& sql, const Params&... params) {
    try {
      return run(sql, params...);
    } catch (const pqxx::broken_connection&) {
      connection_.reset();  // the server restarted under us: once more on a new connection
      return run(sql, params...);
    }
  }

  template <typename... Params>
  long long count(const std::string& sql, const Params&... params) {
    const auto result = query(sql, params...);
    REQUIRE(result.size() == 1);
    return result[0][0].is_null() ? 0 : result[0][0].template as<long long>();
  }

  template <typename... Params>
  std::vector<std::string> column(const std::string& sql, const Params&... params) {
    std::vector<std::string> values;
    for (const auto& row : query(sql, params...)) values.push_back(row[0].c_str());
    return values;
  }

  void exec(const std::string& sql) {
    pqxx::work tx(connection());
    tx.exec(sql);
    tx.commit();
  }

  void reset() { connection_.reset(); }

 private:
  template <typename... Params>
  pqxx::result run(const std::string& sql, const Params&... params) {
    pqxx::nontransaction tx(connection());
    return tx.exec_params(sql, params...);
  }

  pqxx::connection& connection() {
    if (!connection_) connection_ = std::make_unique<pqxx::connection>(url_);
    return *connection_;
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> connection_;
};

/// The id a `weft serve` process registered under (the newest `weft.hosts` row for its pid).
inline std::optional<std::string> host_id_of(Sql& sql, pid_t pid) {
  const auto ids = sql.column(
      "SELECT id::text FROM weft.hosts WHERE pid = $1 ORDER BY started_at DESC LIMIT 1", static_cast<int>(pid));
  if (ids.empty()) return std::nullopt;
  return ids.front();
}

/// CloudEvents JSON lines `{"type": type, "data": {"n": "<n>"}}` for n in [first, first + count).
inline std::string job_events(const std::string& type, int first, int count) {
  std::string lines;
  for (int n = first; n < first + count; ++n) {
    lines += R"({"specversion":"1.0","id":"job-)" + std::to_string(n) + R"(","source":"recovery","type":")" +
             type + R"(","data":{"n":")" + std::to_string(n) + "\"}}\n";
  }
  return lines;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline long long millis_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

/// Figures for the closing note go to stdout, which ctest shows with -V / --output-on-failure.
template <typename... Args>
void report(const char* format, Args... args) {
  std::printf(format, args...);
  std::printf("\n");
  std::fflush(stdout);
}

/// The step rows and attempt history every execution must end with: each step
/// completed once, its attempts numbered 1..n, the last one `completed`, the
/// earlier ones failed with an error code; and how many attempts failed with each code.
struct HistoryCheck {
  long long bad_steps = 0;
  long long steps = 0;
  long long failed_attempts = 0;
  long long host_lost = 0;
  std::string codes;  // "code:count, ..."
  std::string sample;
};

inline HistoryCheck check_history(Sql& sql, const std::string& workflow) {
  HistoryCheck check;
  check.steps = sql.count(
      "SELECT count(*) FROM weft.steps s JOIN weft.executions e ON e.id = s.execution_id WHERE e.workflow = $1",
      workflow);
  // Per step: the step row agrees with its attempts, and the attempts form 1..n
  // with only the last completed.
  const auto bad = sql.query(R"sql(
WITH a AS (
  SELECT execution_id, step_id, count(*) AS n, min(attempt) AS lo, max(attempt) AS hi,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         bool_and(status = 'completed' OR (status = 'failed' AND error->>'code' IS NOT NULL)) AS well_formed,
         max(attempt) FILTER (WHERE status = 'completed') AS completed_attempt
    FROM weft.attempt_history GROUP BY execution_id, step_id)
SELECT e.id::text, s.step_id, s.status, s.attempts, a.n, a.lo, a.hi, a.completed, a.completed_attempt
  FROM weft.executions e
  JOIN weft.steps s ON s.execution_id = e.id
  LEFT JOIN a ON a.execution_id = s.execution_id AND a.step_id = s.step_id
 WHERE e.workflow = $1
   AND NOT (s.status = 'completed' AND s.attempts >= 1 AND a.n = s.attempts AND a.lo = 1
            AND a.hi = s.attempts AND a.completed = 1 AND a.completed_attempt = s.attempts
            AND a.well_formed)
)sql",
                             workflow);
  check.bad_steps = static_cast<long long>(bad.size());
  for (std::size_t i = 0; i < bad.size() && i < 5; ++i) {
    for (const auto& field : bad[static_cast<int>(i)]) check.sample += std::string(field.is_null() ? "null" : field.c_str()) + " ";
    check.sample += "\n";
  }
  const auto codes = sql.query(R"sql(
SELECT a.error->>'code', count(*) FROM weft.attempt_history a JOIN weft.executions e ON e.id = a.execution_id
 WHERE e.workflow = $1 AND a.status = 'failed' GROUP BY 1 ORDER BY 2 DESC
)sql",
                               workflow);
  for (const auto& row : codes) {
    const std::string code = row[0].is_null() ? "null" : row[0].c_str();
    const auto n = row[1].as<long long>();
    check.failed_attempts += n;
    if (code == "host_lost") check.host_lost = n;
    check.codes += (check.codes.empty() ? "" : ", ") + code + ":" + std::to_string(n);
  }
  return check;
}

/// The 4-step workflow both recovery tests run: two transactional steps that
/// each insert one row into `effects` (no unique constraint, so a duplicate
/// effect would show), a busy Lua step of `busy_ms`, and a final step. Writes
/// it into `workflows` (a folder path) under id `id`.
inline void write_effects_workflow(const TempDir& dir, const std::string& id, int max_attempts,
                                   const std::string& retry_interval, int busy_ms) {
  dir.write("workflows/" + id + ".yaml", "id: " + id + R"(
on: [ { type: job } ]
input: { n: "${ event.data.n }" }
key: ${ input.n }
defaults:
  retry: { max_attempts: )" + std::to_string(max_attempts) + ", initial_interval: " + retry_interval + R"( }
steps:
  - id: reserve
    lua: effect.lua
    transaction: true
  - id: compute
    lua: busy.lua
  - id: record
    lua: effect.lua
    transaction: true
  - id: finish
    lua: finish.lua
)");
  dir.write("workflows/effect.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO effects (execution_id, step) VALUES ($1, $2)", ctx.execution_id, ctx.step)
  return { step = ctx.step, attempt = ctx.attempt }
end
)lua");
  dir.write("workflows/busy.lua", "return function(ctx, input)\n  local until_ms = weft.now() + " +
                                      std::to_string(busy_ms) +
                                      "\n  while weft.now() < until_ms do end\n  return { n = input.n }\nend\n");
  dir.write("workflows/finish.lua", "return function(ctx, input) return { n = input.n, done = true } end\n");
}

}  // namespace weft::test
