#include "common/json.hpp"
#include "definitions/loader.hpp"
#include "definitions_test_support.hpp"

#include <catch2/catch.hpp>

#include <map>

namespace fs = std::filesystem;
using namespace weft::definitions;
using weft::Millis;
using weft::definitions::testing::cases_dir;
using weft::definitions::testing::render;
using weft::definitions::testing::TempDir;

namespace {

const char kScript[] = "return function(ctx, input) return {} end\n";

fs::path spec_example() { return cases_dir() / "valid" / "order-fulfilment" / "workflow.yaml"; }

DefinitionPtr load_ok(const fs::path& file, const LoadOptions& options = {}) {
  auto result = load_file(file, options);
  INFO(render(result.diagnostics));
  REQUIRE(result.diagnostics.empty());
  REQUIRE(result.definition != nullptr);
  return result.definition;
}

DefinitionPtr load_inline(const TempDir& dir, const std::string& yaml) {
  dir.write("steps/a.lua", kScript);
  return load_ok(dir.write("wf.yaml", yaml));
}

}  // namespace

TEST_CASE("the full example definition loads with everything in place", "[definitions][loader]") {
  const auto definition = load_ok(spec_example());
  CHECK(definition->id == "order-fulfilment");
  CHECK(definition->version == "3");
  CHECK(definition->content_hash.size() == 64);
  CHECK(definition->description == "Reserve, charge, ship");
  CHECK(definition->location.line == 1);
  CHECK(definition->location.column == 5);

  REQUIRE(definition->triggers.size() == 1);
  const auto& trigger = definition->triggers[0];
  CHECK(trigger.type.patterns == std::vector<std::string>{"crud"});
  CHECK(trigger.source.patterns == std::vector<std::string>{"orders-ui"});
  REQUIRE(trigger.where.size() == 3);
  CHECK(trigger.where[0].path == "data.module");
  REQUIRE(trigger.where[0].conditions.size() == 1);
  CHECK(trigger.where[0].conditions[0].op == WhereOp::Eq);
  CHECK(trigger.where[0].conditions[0].operand == weft::Json("orders"));
  CHECK(trigger.where[1].conditions[0].op == WhereOp::In);
  CHECK(trigger.where[1].conditions[0].operand == *weft::parse_json(R"(["create","update"])"));
  REQUIRE(trigger.where[2].conditions.size() == 2);
  CHECK(trigger.where[2].conditions[0].op == WhereOp::Gt);
  CHECK(trigger.where[2].conditions[0].operand == weft::Json(0));
  CHECK(trigger.where[2].conditions[1].op == WhereOp::Lte);
  CHECK(trigger.where[2].conditions[1].operand == weft::Json(100));
  REQUIRE(trigger.condition.has_value());
  CHECK(trigger.condition->code == "event.data.priority ~= \"low\"");
  CHECK(trigger.condition->chunk == "return (event.data.priority ~= \"low\"\n)");
  CHECK(trigger.condition->location.line == 11);

  REQUIRE(definition->input.has_value());
  CHECK_FALSE(definition->input->is_constant);
  CHECK(definition->input->expressions.size() == 3);
  REQUIRE(definition->key.has_value());
  CHECK(definition->key->lua_chunk == "return (input.order_id\n)");
  REQUIRE(definition->concurrency.has_value());
  CHECK(definition->concurrency->limit == 1);
  CHECK(definition->concurrency->key.lua_chunk == "return (input.sku\n)");
  CHECK(definition->timeout == Millis{3600000});
  CHECK(definition->on_failure == OnFailure::Compensate);

  REQUIRE(definition->steps.size() == 4);
  const auto* reserve = definition->find_step("reserve");
  const auto* charge = definition->find_step("charge");
  const auto* approval = definition->find_step("approval");
  const auto* ship = definition->find_step("ship");
  REQUIRE((reserve && charge && approval && ship));

  CHECK(reserve->kind == StepKind::Action);
  CHECK(reserve->action.kind == ActionKind::Lua);
  CHECK(reserve->action.script == "steps/reserve.lua");
  // Named in Lua messages by its path beside the YAML file, worked out at load.
  CHECK(definition->chunk_names.at("steps/reserve.lua") ==
        (spec_example().parent_path() / "steps/reserve.lua").lexically_normal().string());
  CHECK(reserve->action.timeout == Millis{5000});
  CHECK(reserve->action.retry.max_attempts == 5);
  CHECK(reserve->action.retry.initial_interval == Millis{200});  // from defaults
  CHECK(reserve->action.retry.max_interval == Millis{30000});
  CHECK(reserve->action.retry.non_retryable == std::vector<std::string>{"insufficient_stock"});
  REQUIRE(reserve->action.transaction.has_value());
  CHECK(reserve->action.transaction->isolation == Isolation::ReadCommitted);
  CHECK(reserve->action.transaction->statement_timeout == Millis{5000});
  REQUIRE(reserve->action.lock.has_value());
  CHECK(reserve->action.lock->key.lua_chunk == "return (\"inventory:\" .. weft._text(input.sku\n))");
  CHECK(reserve->action.lock->ttl == Millis{30000});
  CHECK(reserve->after.empty());
  REQUIRE(reserve->compensate.has_value());
  CHECK(reserve->compensate->script == "steps/release.lua");
  CHECK(reserve->compensate->retry.max_attempts == 3);  // defaults, not the step's retry
  CHECK(reserve->compensate->timeout == Millis{30000});
  CHECK(reserve->compensate->input.has_value());

  CHECK(charge->action.kind == ActionKind::Plugin);
  CHECK(charge->action.plugin == "payments");
  CHECK(charge->action.plugin_action == "charge");
  CHECK(charge->action.timeout == Millis{30000});
  CHECK(charge->after == std::vector<std::string>{"reserve"});
  REQUIRE(charge->circuit_breaker.has_value());
  CHECK(charge->circuit_breaker->failure_rate == Approx(0.5));
  CHECK(charge->circuit_breaker->window == Millis{10000});
  REQUIRE(charge->compensate.has_value());
  CHECK(charge->compensate->plugin_action == "refund");
  CHECK_FALSE(charge->compensate->input.has_value());

  CHECK(approval->kind == StepKind::Wait);
  CHECK(approval->wait.signal == "approve");
  CHECK(approval->wait.timeout == Millis{48 * 3600000});
  REQUIRE(approval->condition.has_value());
  CHECK(approval->condition->code == "input.qty > 10");
  CHECK(approval->condition->location.line == 38);
  CHECK(approval->condition->location.column == 9);
  CHECK(approval->after == std::vector<std::string>{"charge"});

  CHECK(ship->after == std::vector<std::string>{"charge", "approval"});

  CHECK(definition->source.scripts.size() == 3);
  CHECK(definition->source.scripts.at("steps/ship.lua") == kScript);
}

TEST_CASE("check_plugin_action rejects unknown plugin actions at their place", "[definitions][loader]") {
  LoadOptions options;
  options.check_plugin_action = [](const std::string& plugin, const std::string& action) -> std::optional<std::string> {
    if (plugin == "payments" && action == "charge") return std::nullopt;
    return "unknown plugin action " + plugin + "." + action;
  };
  const auto result = load_file(spec_example(), options);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.definition == nullptr);
  CHECK(result.diagnostics[0].message == "unknown plugin action payments.refund");
  CHECK(result.diagnostics[0].location.line == 36);
  CHECK(result.diagnostics[0].location.column == 27);
}

TEST_CASE("built-in defaults apply without a defaults block", "[definitions][loader]") {
  TempDir dir;
  const auto definition = load_inline(dir, R"(id: plain
steps:
  - id: a
    lua: steps/a.lua
    transaction: true
  - id: b
    lua: steps/a.lua
    transaction: false
    retry: { backoff: 3 }
)");
  const auto& a = definition->steps[0].action;
  CHECK(a.timeout == Millis{60000});
  CHECK(a.retry.max_attempts == 3);
  CHECK(a.retry.initial_interval == Millis{1000});
  CHECK(a.retry.backoff == 2.0);
  CHECK(a.retry.max_interval == Millis{60000});
  CHECK(a.retry.jitter == Jitter::Full);
  REQUIRE(a.transaction.has_value());
  CHECK(a.transaction->isolation == Isolation::ReadCommitted);
  CHECK_FALSE(a.transaction->statement_timeout.has_value());
  const auto& b = definition->steps[1].action;
  CHECK_FALSE(b.transaction.has_value());
  CHECK(b.retry.backoff == 3.0);
  CHECK(b.retry.max_attempts == 3);
  CHECK(definition->triggers.empty());
  CHECK_FALSE(definition->input.has_value());
  CHECK_FALSE(definition->timeout.has_value());
  CHECK(definition->on_failure == OnFailure::Compensate);
}

TEST_CASE("defaults apply to steps and compensations, step keys override one by one", "[definitions][loader]") {
  TempDir dir;
  const auto definition = load_inline(dir, R"(id: defaults
steps:
  - id: a
    lua: steps/a.lua
    retry: { jitter: none }
    compensate: { lua: steps/a.lua, timeout: 2s }
defaults:
  timeout: 7s
  retry: { max_attempts: 9, initial_interval: 10ms }
)");
  const auto& step = definition->steps[0];
  CHECK(step.action.timeout == Millis{7000});
  CHECK(step.action.retry.max_attempts == 9);
  CHECK(step.action.retry.initial_interval == Millis{10});
  CHECK(step.action.retry.jitter == Jitter::None);
  REQUIRE(step.compensate.has_value());
  CHECK(step.compensate->timeout == Millis{2000});
  CHECK(step.compensate->retry.max_attempts == 9);
  CHECK(step.compensate->retry.jitter == Jitter::Full);
}

TEST_CASE("after defaults to the previous step, an empty list means none", "[definitions][loader]") {
  TempDir dir;
  const auto definition = load_inline(dir, R"(id: chain
steps:
  - { id: a, lua: steps/a.lua }
  - { id: b, lua: steps/a.lua }
  - { id: c, lua: steps/a.lua, after: [] }
  - { id: d, sleep: 10m }
  - { id: e, lua: steps/a.lua, after: [a, c] }
  - { id: f, lua: steps/a.lua, after: b }
)");
  const auto after = [&](const char* id) { return definition->find_step(id)->after; };
  using List = std::vector<std::string>;
  CHECK(after("a").empty());
  CHECK(after("b") == List{"a"});
  CHECK(after("c").empty());
  CHECK(after("d") == List{"c"});
  CHECK(definition->find_step("d")->kind == StepKind::Sleep);
  CHECK(definition->find_step("d")->sleep == Millis{600000});
  CHECK(after("e") == List{"a", "c"});
  CHECK(after("f") == List{"b"});
}

TEST_CASE("trigger forms: lists, globs, operators, if with or without ${ }", "[definitions][loader]") {
  TempDir dir;
  const auto definition = load_inline(dir, R"(id: triggers
on:
  - type: [orders.*, "invoice.?"]
    where:
      data.sku: { prefix: SKU-, ne: SKU-0 }
      data.name: { matches: "^[a-z]+$" }
      data.tag: { exists: false }
      data.n: { in: [1, 2.5, "x", null] }
      data.missing: ~
    if: ${ event.data.n ~= 2 }
  - type: tick
input: { fixed: 1 }
key: "static"
steps:
  - id: a
    if: |
      input.fixed == 1
    lua: steps/a.lua
)");
  REQUIRE(definition->triggers.size() == 2);
  const auto& first = definition->triggers[0];
  CHECK(first.type.patterns == std::vector<std::string>{"orders.*", "invoice.?"});
  CHECK(first.source.any());
  REQUIRE(first.where.size() == 5);
  CHECK(first.where[0].conditions[0].op == WhereOp::Prefix);
  CHECK(first.where[0].conditions[1].op == WhereOp::Ne);
  CHECK(first.where[1].conditions[0].op == WhereOp::Matches);
  CHECK(first.where[2].conditions[0].op == WhereOp::Exists);
  CHECK(first.where[2].conditions[0].operand == weft::Json(false));
  CHECK(first.where[3].conditions[0].operand == *weft::parse_json(R"([1, 2.5, "x", null])"));
  CHECK(first.where[4].conditions[0].op == WhereOp::Eq);
  CHECK(first.where[4].conditions[0].operand.is_null());
  REQUIRE(first.condition.has_value());
  CHECK(first.condition->code == "event.data.n ~= 2");
  CHECK(first.condition->location.line == 10);
  CHECK(first.condition->location.column == 9);
  CHECK(definition->input->is_constant);
  CHECK(definition->key->is_constant);
  CHECK(definition->key->constant == weft::Json("static"));
  REQUIRE(definition->steps[0].condition.has_value());
  CHECK(definition->steps[0].condition->code == "input.fixed == 1");
}

TEST_CASE("version defaults to the content hash, the hash follows YAML and scripts", "[definitions][loader]") {
  const std::string yaml = "id: hashed\nsteps:\n  - { id: a, lua: steps/a.lua }\n";
  TempDir one;
  TempDir two;
  const auto first = load_inline(one, yaml);
  CHECK(first->version == first->content_hash.substr(0, 12));
  CHECK(load_ok(one.path() / "wf.yaml")->content_hash == first->content_hash);

  // Same content in another folder: same snapshot.
  CHECK(load_inline(two, yaml)->content_hash == first->content_hash);

  two.write("steps/a.lua", "return function(ctx, input) return { changed = true } end\n");
  const auto changed_script = load_ok(two.path() / "wf.yaml");
  CHECK(changed_script->content_hash != first->content_hash);
  CHECK(changed_script->version != first->version);

  two.write("steps/a.lua", kScript);
  two.write("wf.yaml", yaml + "# a comment\n");
  CHECK(load_ok(two.path() / "wf.yaml")->content_hash != first->content_hash);
}

TEST_CASE("load_bundle reproduces load_file without touching the disk", "[definitions][loader]") {
  TempDir dir;
  fs::copy(spec_example().parent_path(), dir.path(), fs::copy_options::recursive);
  const auto from_file = load_ok(dir.path() / "workflow.yaml");
  const SourceBundle bundle = from_file->source;
  fs::remove_all(dir.path() / "steps");

  const auto from_bundle = load_bundle(bundle);
  INFO(render(from_bundle.diagnostics));
  REQUIRE(from_bundle.definition != nullptr);
  const auto& again = *from_bundle.definition;
  CHECK(again.content_hash == from_file->content_hash);
  CHECK(again.version == from_file->version);
  CHECK(again.id == from_file->id);
  CHECK(again.source.scripts == bundle.scripts);
  REQUIRE(again.steps.size() == from_file->steps.size());
  for (std::size_t i = 0; i < again.steps.size(); ++i) {
    CHECK(again.steps[i].id == from_file->steps[i].id);
    CHECK(again.steps[i].after == from_file->steps[i].after);
    CHECK(again.steps[i].action.timeout == from_file->steps[i].action.timeout);
    if (again.steps[i].action.input) {
      CHECK(again.steps[i].action.input->lua_chunk == from_file->steps[i].action.input->lua_chunk);
    }
  }
  // The disk copy is gone, so load_file now fails where load_bundle did not.
  CHECK_FALSE(load_file(dir.path() / "workflow.yaml").diagnostics.empty());

  SourceBundle missing = bundle;
  missing.scripts.erase("steps/ship.lua");
  const auto broken = load_bundle(missing);
  REQUIRE(broken.diagnostics.size() == 1);
  CHECK(broken.diagnostics[0].location.line == 42);
  CHECK(broken.diagnostics[0].message.find("steps/ship.lua") != std::string::npos);
}

TEST_CASE("load_file reports a missing file instead of failing", "[definitions][loader]") {
  const auto result = load_file("/nonexistent/weft/workflow.yaml");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.definition == nullptr);
  CHECK(result.diagnostics[0].location.file == "/nonexistent/weft/workflow.yaml");
}

TEST_CASE("load_directory loads every workflow file, sorted, and rejects duplicate ids", "[definitions][loader]") {
  TempDir dir;
  dir.write("b/steps/a.lua", kScript);
  dir.write("b/zeta.yaml", "id: zeta\nsteps:\n  - { id: a, lua: steps/a.lua }\n");
  dir.write("alpha.yml", "id: alpha\nsteps:\n  - { id: a, sleep: 1s }\n");
  dir.write("one.yaml", "id: twice\nsteps:\n  - { id: a, sleep: 1s }\n");
  dir.write("sub/two.yaml", "# the same id again\nid: twice\nsteps:\n  - { id: a, sleep: 2s }\n");
  dir.write("broken.yaml", "id: broken\nsteps: nope\n");
  dir.write(".hidden/ignored.yaml", "not: [valid\n");
  dir.write("notes.txt", "not a workflow");

  const auto loaded = load_directory(dir.path());
  INFO(render(loaded.diagnostics));
  REQUIRE(loaded.definitions.size() == 2);
  CHECK(loaded.definitions[0]->id == "alpha");
  CHECK(loaded.definitions[1]->id == "zeta");

  REQUIRE(loaded.diagnostics.size() == 3);
  const auto has = [&](const std::string& text) {
    for (const auto& diagnostic : loaded.diagnostics) {
      if (diagnostic.to_string().find(text) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(has("broken.yaml:2:8: `steps` must be a list"));
  CHECK(has("one.yaml:1:5: workflow id `twice` is also defined at " + (dir.path() / "sub/two.yaml").string() + ":2:5"));
  CHECK(has("sub/two.yaml:2:5: workflow id `twice` is also defined at " + (dir.path() / "one.yaml").string() + ":1:5"));
}

TEST_CASE("load_directory names each file that gave no definition, with its id when readable", "[definitions][loader]") {
  TempDir dir;
  const std::map<std::string, std::pair<std::string, std::string>> files{  // file: {id, its one step}
      {"good.yaml", {"good", "sleep: 1s"}},
      {"bad-step.yaml", {"bad-step", "sleep: soon"}},
      {"bad-script.yaml", {"bad-script", "lua: missing.lua"}},
      {"bad-id.yaml", {"Not_Valid", "sleep: 1s"}},
      {"one.yaml", {"twice", "sleep: 1s"}},
      {"two.yaml", {"twice", "sleep: 2s"}}};
  for (const auto& [file, workflow] : files)
    dir.write(file, "id: " + workflow.first + "\nsteps:\n  - { id: a, " + workflow.second + " }\n");
  dir.write("bad-yaml.yaml", "id: bad-yaml\nsteps: [ { id: a\n");

  const auto loaded = load_directory(dir.path());
  REQUIRE(loaded.definitions.size() == 1);
  std::map<std::string, const InvalidFile*> invalid;
  for (const auto& file : loaded.invalid_files) invalid[file.file.filename().string()] = &file;
  REQUIRE(invalid.size() == 6);
  CHECK(invalid.count("good.yaml") == 0);
  CHECK(invalid["bad-step.yaml"]->declared_id == "bad-step");
  CHECK(invalid["bad-script.yaml"]->declared_id == "bad-script");
  CHECK(invalid["bad-yaml.yaml"]->declared_id.empty());  // the YAML does not parse
  CHECK(invalid["bad-id.yaml"]->declared_id.empty());    // not a valid id
  CHECK(invalid["one.yaml"]->declared_id == "twice");
  CHECK(invalid["two.yaml"]->declared_id == "twice");
  // Each with its own errors, spelled as the file was listed.
  CHECK(invalid["bad-step.yaml"]->file == dir.path() / "bad-step.yaml");
  REQUIRE(invalid["bad-step.yaml"]->diagnostics.size() == 1);
  CHECK(invalid["bad-step.yaml"]->diagnostics[0].to_string().find("bad-step.yaml:3:") != std::string::npos);
  REQUIRE(invalid["one.yaml"]->diagnostics.size() == 1);
  CHECK(invalid["one.yaml"]->diagnostics[0].message.find("is also defined at") != std::string::npos);
  CHECK(invalid["bad-script.yaml"]->diagnostics[0].message.find("missing.lua") != std::string::npos);
}

TEST_CASE("load_directory reports a missing root", "[definitions][loader]") {
  const auto loaded = load_directory("/nonexistent/weft/workflows");
  CHECK(loaded.definitions.empty());
  CHECK(loaded.diagnostics.size() == 1);
}
