// `concurrency: {key, limit}`: at most `limit` started per key, admitted in arrival order.
#include "../host/host_fixture.hpp"

#include <algorithm>

using weft::test::HostFixture;
using weft::test::step_of;

TEST_CASE("a concurrency limit holds under load across hosts, in arrival order", "[concurrency][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: restock
concurrency: { key: "${ input.sku }", limit: 2 }
steps:
  - id: work
    lua: busy.lua
)");
  fx.script("busy.lua", R"(return function(ctx, input)
  -- Long enough that A's queue (8 runs, 2 at a time) outlasts the ten `weft start`
  -- processes that create the executions, also on a busy machine.
  local until_ms = weft.now() + 600
  while weft.now() < until_ms do end
  return { sku = input.sku }
end
)");
  auto first = fx.serve();
  auto second = fx.serve();
  std::vector<std::string> a_ids, b_ids;
  for (int i = 0; i < 8; ++i) {
    const auto started = fx.weft({"start", "restock", "--workflows", fx.workflows(), "--input", R"({"sku":"A"})"});
    REQUIRE(started.exit_code == 0);
    a_ids.push_back(started.out.substr(0, 36));
  }
  for (int i = 0; i < 2; ++i) {
    const auto started = fx.weft({"start", "restock", "--workflows", fx.workflows(), "--input", R"({"sku":"B"})"});
    b_ids.push_back(started.out.substr(0, 36));
  }
  struct Interval {
    std::int64_t from, to;
  };
  std::vector<Interval> a_runs;
  std::vector<std::int64_t> a_starts;
  for (const auto& id : a_ids) {
    const auto detail = fx.finished(id, std::chrono::seconds(30));
    REQUIRE(detail.summary.status == "completed");
    const auto& attempt = step_of(detail, "work").attempts.at(0);
    a_runs.push_back({attempt.started_at, attempt.finished_at});
    a_starts.push_back(attempt.started_at);
  }
  int most = 0;
  for (const auto& run : a_runs) {
    const auto overlapping = std::count_if(a_runs.begin(), a_runs.end(), [&](const Interval& other) {
      return other.from <= run.from && run.from < other.to;
    });
    most = std::max(most, static_cast<int>(overlapping));
  }
  CHECK(most <= 2);  // never more than the limit
  CHECK(most == 2);  // and the limit is used
  // Arrival order: each A execution started no earlier than the one created before it
  // could have (allowing two at a time).
  for (std::size_t i = 2; i < a_starts.size(); ++i) CHECK(a_starts[i] >= a_starts[i - 2]);
  // Another key is not held up by A's queue.
  const auto b = fx.finished(b_ids[1]);
  CHECK(b.summary.status == "completed");
  CHECK(step_of(b, "work").attempts.at(0).finished_at < a_runs.back().to);
}
