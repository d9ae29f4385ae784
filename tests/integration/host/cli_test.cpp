// The `weft` CLI checked through its output and exit codes (SPEC section 8).
#include "host_fixture.hpp"

#include <algorithm>

using weft::test::HostFixture;

TEST_CASE("weft validate reports every error as file:line:col and exits 2", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("good.yaml", "id: good\nsteps: [ { id: one, lua: one.lua } ]\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
  auto ok = weft::test::run_weft({"validate", fx.workflows()});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("1 workflow(s) valid") != std::string::npos);

  fx.workflow("bad.yaml", "id: bad\nsteps:\n  - id: one\n    lua: missing.lua\n    timeout: soon\n");
  auto bad = weft::test::run_weft({"validate", fx.workflows()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.yaml:4:") != std::string::npos);  // the missing script
  CHECK(bad.err.find("bad.yaml:5:") != std::string::npos);  // the bad duration
  CHECK(bad.out.empty());
}

TEST_CASE("bad CLI input gets one clear error and the right exit code", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", "id: w\nsteps: [ { id: one, lua: one.lua } ]\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");

  const auto no_command = weft::test::run_weft({"frobnicate"});
  CHECK(no_command.exit_code == 2);
  CHECK(no_command.err.find("unknown command 'frobnicate'") != std::string::npos);

  const auto bad_flag = fx.weft({"list", "--colour"});
  CHECK(bad_flag.exit_code == 2);
  CHECK(bad_flag.err.find("unknown option '--colour'") != std::string::npos);

  const auto bad_data = fx.weft({"emit", "--type", "x", "--data", "{not json"});
  CHECK(bad_data.exit_code == 2);
  CHECK(bad_data.err.find("--data: invalid JSON") != std::string::npos);

  const auto bad_events = fx.weft({"emit"}, "{\"type\":\"ok\",\"data\":{}}\n{\"data\":{}}\n");
  CHECK(bad_events.exit_code == 2);
  CHECK(bad_events.err.find("stdin:2:") != std::string::npos);
  CHECK(fx.store().list_executions({}).empty());

  const auto unknown_workflow = fx.weft({"start", "nope", "--workflows", fx.workflows()});
  CHECK(unknown_workflow.exit_code == 2);
  CHECK(unknown_workflow.err.find("unknown workflow 'nope'") != std::string::npos);

  const auto bad_input = fx.weft({"start", "w", "--workflows", fx.workflows(), "--input", "[1,"});
  CHECK(bad_input.exit_code == 2);
  CHECK(bad_input.err.find("--input: invalid JSON") != std::string::npos);

  const auto unknown_execution = fx.weft({"status", "0b5b3c4e-1111-4222-8333-944455556666"});
  CHECK(unknown_execution.exit_code == 1);
  CHECK(unknown_execution.err.find("no execution with id") != std::string::npos);

  const auto not_an_id = fx.weft({"status", "hello"});
  CHECK(not_an_id.exit_code == 1);

  const auto bad_status = fx.weft({"list", "--status", "sleeping"});
  CHECK(bad_status.exit_code == 2);
  CHECK(bad_status.err.find("unknown status 'sleeping'") != std::string::npos);

  const auto bad_limit = fx.weft({"list", "--limit", "-3"});
  CHECK(bad_limit.exit_code == 2);

  // Each error is one line on stderr.
  for (const auto* result : {&bad_flag, &bad_data, &unknown_workflow, &unknown_execution}) {
    CHECK(std::count(result->err.begin(), result->err.end(), '\n') == 1);
  }
}

TEST_CASE("serve refuses invalid definitions with exit code 2", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", "id: w\nsteps: [ { id: one, lua: one.lua, retry: { max_attempts: 0 } } ]\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
  const auto result = fx.weft({"serve", "--workflows", fx.workflows()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("w.yaml:") != std::string::npos);
}

TEST_CASE("status, list and trace show a finished execution", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: shown
on: [ { type: show } ]
steps:
  - id: one
    lua: one.lua
)");
  fx.script("one.lua", "return function(ctx, input) ctx.log.info('working', { n = 1 }) return { n = input.n } end\n");
  auto host = fx.serve();
  const auto emitted = fx.weft({"emit", "--type", "show", "--data", R"({"n":5})"});
  REQUIRE(emitted.exit_code == 0);
  const auto trace = weft::test::trace_of_emit(emitted.out);
  const auto executions = fx.executions_of_trace(trace, 1);
  REQUIRE(executions.size() == 1);
  const auto id = executions[0].id;
  fx.finished(id);

  const auto status = fx.weft({"status", id, "--json"});
  REQUIRE(status.exit_code == 0);
  const auto json = weft::parse_json(status.out);
  REQUIRE(json.has_value());
  for (const auto* key : {"id", "workflow", "version", "status", "key", "trace_id", "input", "output",
                          "error", "steps", "compensations"}) {
    INFO(key);
    CHECK(json->as_object().contains(key));
  }
  CHECK(json->at("status").as_string() == "completed");
  CHECK(json->at("output").at("n").as_int64() == 5);
  const auto& step = json->at("steps").as_array().at(0);
  for (const auto* key : {"id", "status", "attempts", "output", "error", "started_at", "finished_at"}) {
    INFO(key);
    CHECK(step.as_object().contains(key));
  }

  const auto text = fx.weft({"status", id});
  CHECK(text.out.find("completed") != std::string::npos);

  const auto list = fx.weft({"list", "--workflow", "shown", "--json"});
  REQUIRE(list.exit_code == 0);
  CHECK(weft::parse_json(list.out)->as_array().size() == 1);

  const auto timeline = fx.weft({"trace", trace});
  REQUIRE(timeline.exit_code == 0);
  for (const auto* kind : {"event.received", "execution.created", "step.attempt", "execution.finished"}) {
    INFO(kind);
    CHECK(timeline.out.find(kind) != std::string::npos);
  }
  CHECK(host->log().find("working") != std::string::npos);
  CHECK(host->log().find("trace=" + trace) != std::string::npos);
}

TEST_CASE("weft start --wait returns once the execution finished, with its status", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("ok.yaml", "id: ok\nsteps: [ { id: only, lua: ok.lua } ]\n");
  fx.workflow("bad.yaml", "id: bad\nsteps: [ { id: only, lua: bad.lua, retry: { max_attempts: 1 } } ]\n");
  fx.script("ok.lua", "return function(ctx, input) return 1 end\n");
  fx.script("bad.lua", "return function(ctx, input) weft.fail('nope', 'no') end\n");
  auto host = fx.serve();
  const auto ok = fx.weft({"start", "ok", "--workflows", fx.workflows(), "--wait"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("\ncompleted\n") != std::string::npos);
  const auto bad = fx.weft({"start", "bad", "--workflows", fx.workflows(), "--wait"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("\nfailed\n") != std::string::npos);
  CHECK(bad.err.find("ended failed") != std::string::npos);
}
