// An engine::Engine in this process (not a `weft serve`), so that its metrics
// registry and stats() can be read directly: what a run of a workflow records.
#include "../host/host_fixture.hpp"

#include "definitions/loader.hpp"
#include "engine/engine.hpp"
#include "metrics/registry.hpp"

#include <memory>
#include <string>
#include <vector>

using weft::test::HostFixture;
using weft::test::trace_of_emit;

namespace {

/// An engine on the fixture's database and workflows, recording into `registry`.
class InProcessEngine {
 public:
  InProcessEngine(HostFixture& fixture, std::shared_ptr<weft::metrics::Registry> registry, int workers = 2) {
    auto loaded = weft::definitions::load_directory(fixture.workflows());
    std::string problems;
    for (const auto& diagnostic : loaded.diagnostics) problems += diagnostic.to_string() + "\n";
    INFO(problems);
    REQUIRE(loaded.diagnostics.empty());
    weft::engine::EngineOptions options;
    options.database_url = fixture.url();
    options.workers = workers;
    options.workflows_dir = fixture.workflows();
    options.lease = std::chrono::milliseconds(3000);
    options.metrics = std::move(registry);
    engine_ = std::make_unique<weft::engine::Engine>(options, loaded.definitions);
  }
  ~InProcessEngine() { stop(); }
  weft::engine::Engine& operator*() { return *engine_; }
  weft::engine::Engine* operator->() { return engine_.get(); }
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    engine_->request_stop();
    engine_->wait();
  }

 private:
  std::unique_ptr<weft::engine::Engine> engine_;
  bool stopped_ = false;
};

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

/// Waits until the rendered registry contains every one of `lines`; the last render.
std::string render_until(weft::metrics::Registry& registry, const std::vector<std::string>& lines) {
  std::string text;
  weft::test::eventually([&] {
    text = registry.render();
    for (const auto& line : lines) {
      if (!contains(text, line)) return false;
    }
    return true;
  }, std::chrono::seconds(10));
  return text;
}

}  // namespace

TEST_CASE("the engine records routing, executions, attempts, checkpoints and the pool", "[engine][metrics][pg]") {
  HostFixture fx;
  fx.workflow("order.yaml", R"(
id: order
on: [ { type: orders.created } ]
steps:
  - id: price
    lua: price.lua
    lock: { key: "price:${ input.sku }", ttl: 10s, wait: 5s }
  - id: total
    lua: total.lua
    transaction: true
    retry: { max_attempts: 2, initial_interval: 10ms }
    input: { price: "${ steps.price.output.price }" }
)");
  fx.script("price.lua", "return function(ctx, input) return { price = 7 } end\n");
  fx.script("total.lua", R"lua(return function(ctx, input)
  if ctx.attempt == 1 then error("not yet") end
  return { total = input.price * 3 }
end
)lua");
  auto registry = std::make_shared<weft::metrics::Registry>();
  InProcessEngine engine(fx, registry);

  const auto before = engine->stats();
  CHECK_FALSE(before.started);
  CHECK_FALSE(before.since_heartbeat.has_value());
  CHECK(before.pool.size == 0);

  engine->start();
  const auto emitted = fx.weft({"emit", "--type", "orders.created", "--data", R"({"sku":"a-1"})"});
  REQUIRE(emitted.exit_code == 0);
  const auto executions = fx.executions_of_trace(trace_of_emit(emitted.out), 1);
  REQUIRE(executions.size() == 1);
  CHECK(fx.finished(executions[0].id).summary.status == "completed");

  const auto text = render_until(*registry, {
      "weft_executions_finished_total{workflow=\"order\",status=\"completed\"} 1\n",
      "weft_active_executions 0\n",
  });
  INFO(text);
  for (const std::string line : {
           "# TYPE weft_events_routed_total counter\nweft_events_routed_total 1\n",
           "weft_executions_started_total{workflow=\"order\"} 1\n",
           "weft_step_attempts_total{workflow=\"order\",step=\"price\",outcome=\"completed\"} 1\n",
           "weft_step_attempts_total{workflow=\"order\",step=\"total\",outcome=\"completed\"} 1\n",
           "weft_step_attempts_total{workflow=\"order\",step=\"total\",outcome=\"retrying\"} 1\n",
           "weft_step_duration_seconds_count{workflow=\"order\",step=\"price\"} 1\n",
           "weft_step_duration_seconds_count{workflow=\"order\",step=\"total\"} 2\n",
           "weft_step_duration_seconds_bucket{workflow=\"order\",step=\"total\",le=\"+Inf\"} 2\n",
           "weft_lock_wait_seconds_count 1\n",
           "weft_db_pool_size 2\n",
           "weft_db_pool_connections{state=\"in_use\"} 0\n",
           "weft_db_pool_timeouts_total 0\n",
           "# TYPE weft_circuit_breaker_state gauge\n",
       }) {
    CAPTURE(line);
    CHECK(contains(text, line));
  }
  // Nothing failed; the lock was free (no wait counted); checkpoints and borrows were
  // timed; no execution id, trace id or lock key ever becomes a label value.
  for (const auto& absent : {
           std::string("outcome=\"failed\""),
           std::string("weft_lock_waits_total{"),
           std::string("weft_checkpoint_duration_seconds_count 0\n"),
           std::string("weft_db_pool_wait_seconds_count 0\n"),
           executions[0].id,
           trace_of_emit(emitted.out),
           std::string("a-1"),
       }) {
    CAPTURE(absent);
    CHECK_FALSE(contains(text, absent));
  }

  const auto stats = engine->stats();
  CHECK(stats.started);
  CHECK_FALSE(stats.stopping);
  CHECK(stats.host_id == engine->host_id());
  CHECK(stats.pool.size == 2);
  CHECK(stats.pool.in_use == 0);
  CHECK(stats.pool.waiting == 0);
  CHECK(stats.pool.timeouts == 0);
  REQUIRE(stats.since_heartbeat.has_value());
  CHECK(*stats.since_heartbeat < stats.lease);
  CHECK(stats.lease == std::chrono::milliseconds(3000));
  CHECK(stats.active_executions == 0);
  CHECK(stats.max_active_executions == 256);
  CHECK(stats.open_circuits.empty());
  CHECK(stats.half_open_circuits.empty());

  engine.stop();
  CHECK(engine->stats().stopping);
}

TEST_CASE("an open circuit shows in stats() and as weft_circuit_breaker_state 2", "[engine][metrics][pg]") {
  HostFixture fx;
  fx.workflow("calls.yaml", R"(
id: calls
steps:
  - id: call
    lua: call.lua
    retry: { max_attempts: 1 }
    circuit_breaker: { failure_rate: 50%, min_calls: 2, window: 60s, open_for: 60s }
)");
  fx.script("call.lua", "return function(ctx, input) error('the API is down') end\n");
  auto registry = std::make_shared<weft::metrics::Registry>();
  InProcessEngine engine(fx, registry);
  engine->start();
  for (int i = 0; i < 2; ++i) CHECK(fx.finished(fx.start("calls")).summary.status == "failed");

  const auto text = render_until(*registry, {
      "weft_executions_finished_total{workflow=\"calls\",status=\"failed\"} 2\n",
  });
  INFO(text);
  CHECK(contains(text, "weft_circuit_breaker_state{action=\"lua:calls/call.lua\"} 2\n"));
  CHECK(contains(text, "weft_step_attempts_total{workflow=\"calls\",step=\"call\",outcome=\"failed\"} 2\n"));
  const auto stats = engine->stats();
  CHECK(stats.open_circuits == std::vector<std::string>{"lua:calls/call.lua"});
  CHECK(stats.half_open_circuits.empty());
}

TEST_CASE("a named lock found held counts a lock wait for its step", "[engine][metrics][pg]") {
  HostFixture fx;
  fx.workflow("print.yaml", R"(
id: print
steps:
  - id: print
    lua: print.lua
    transaction: true
    lock: { key: "printer", ttl: 30s, wait: 20s }
)");
  fx.script("print.lua", R"lua(return function(ctx, input)
  ctx.db:query("SELECT pg_sleep(0.5)")
  return {}
end
)lua");
  auto registry = std::make_shared<weft::metrics::Registry>();
  InProcessEngine engine(fx, registry);
  engine->start();
  const auto first = fx.start("print", R"({"n":1})");
  const auto second = fx.start("print", R"({"n":2})");
  CHECK(fx.finished(first).summary.status == "completed");
  CHECK(fx.finished(second).summary.status == "completed");
  const auto text = render_until(*registry, {
      "weft_executions_finished_total{workflow=\"print\",status=\"completed\"} 2\n",
  });
  INFO(text);
  CHECK(contains(text, "weft_lock_waits_total{workflow=\"print\",step=\"print\"} 1\n"));
  CHECK(contains(text, "weft_lock_wait_seconds_count 2\n"));
  CHECK_FALSE(contains(text, "weft_lock_wait_seconds_bucket{le=\"0.01\"} 2\n"));  // one of them waited
}
