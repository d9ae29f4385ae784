// Which workflows a reload adds, changes, removes or keeps,
// on real files: the plan merges a fresh load of the directory per workflow.
#include "reload/definition_health.hpp"
#include "reload/reload_plan.hpp"

#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;
using weft::definitions::DefinitionPtr;
using weft::reload::plan_reload;
using weft::reload::ReloadPlan;
using weft::test::TempDir;

namespace {

std::string flow(const std::string& id, const std::string& script = "step.lua") {
  return "id: " + id + "\non: [ { type: t } ]\nsteps: [ { id: only, lua: " + script + " } ]\n";
}

constexpr const char* kStep = "return function(ctx, input) return input end\n";

std::vector<std::string> ids(const std::vector<DefinitionPtr>& definitions) {
  std::vector<std::string> result;
  for (const auto& definition : definitions) result.push_back(definition->id);
  return result;
}

struct Workspace {
  TempDir dir;
  fs::path root() const { return dir.path() / "workflows"; }
  void write(const std::string& relative, const std::string& content) const { dir.write("workflows/" + relative, content); }
  std::vector<DefinitionPtr> load() const {
    auto loaded = weft::definitions::load_directory(root());
    REQUIRE(loaded.diagnostics.empty());
    return loaded.definitions;
  }
  /// Workflow `a` with the script `step.lua`; what serves it.
  std::vector<DefinitionPtr> one_workflow() const {
    write("a.yaml", flow("a"));
    write("step.lua", kStep);
    return load();
  }
  /// Workflows `a` and `b`, each with its own script; what serves them.
  std::vector<DefinitionPtr> two_workflows() const {
    write("a.yaml", flow("a", "a.lua"));
    write("b.yaml", flow("b", "b.lua"));
    write("a.lua", kStep);
    write("b.lua", kStep);
    return load();
  }
  ReloadPlan reload(const std::vector<DefinitionPtr>& serving) const {
    return plan_reload(serving, weft::definitions::load_directory(root()));
  }
};

}  // namespace

TEST_CASE("a reload of an unchanged directory changes nothing and keeps the same objects", "[reload]") {
  Workspace ws;
  const auto serving = ws.one_workflow();
  const auto plan = ws.reload(serving);
  CHECK_FALSE(plan.changes_serving());
  CHECK(plan.kept.empty());
  REQUIRE(plan.serving.size() == 1);
  CHECK(plan.serving[0] == serving[0]);
}

TEST_CASE("an edited script is a new version of its workflow only", "[reload]") {
  Workspace ws;
  const auto serving = ws.two_workflows();
  ws.write("a.lua", "return function(ctx, input) return { edited = true } end\n");
  const auto plan = ws.reload(serving);
  REQUIRE(plan.changed.size() == 1);
  CHECK(plan.changed[0].before == serving[0]);
  CHECK(plan.changed[0].after->id == "a");
  CHECK(plan.changed[0].after->content_hash != serving[0]->content_hash);
  CHECK(plan.added.empty());
  CHECK(plan.removed.empty());
  CHECK(ids(plan.serving) == std::vector<std::string>{"a", "b"});
  CHECK(plan.serving[1] == serving[1]);
}

TEST_CASE("an invalid edit keeps that workflow's previous version while valid edits of others apply", "[reload]") {
  Workspace ws;
  const auto serving = ws.two_workflows();

  ws.write("a.yaml", "id: a\nsteps: [ { id: only, lua: a.lua, retry: { max_attempts: zero } } ]\n");
  ws.write("b.lua", "return function(ctx, input) return 2 end\n");
  ws.write("new.yaml", "id: new\nsteps: nope\n");  // invalid and never served
  auto plan = ws.reload(serving);
  CHECK_FALSE(plan.diagnostics.empty());
  REQUIRE(plan.kept.size() == 1);
  CHECK(plan.kept[0] == serving[0]);
  REQUIRE(plan.changed.size() == 1);
  CHECK(plan.changed[0].after->id == "b");
  REQUIRE(ids(plan.serving) == std::vector<std::string>{"a", "b"});
  CHECK(plan.serving[0] == serving[0]);
  // What the health endpoint shows: `a` serves an older version, with its file's first error.
  CHECK(plan.invalid_files.size() == 2);
  auto stale = weft::reload::stale_definitions(plan.kept, plan.invalid_files);
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].workflow == "a");
  CHECK(stale[0].file == (ws.root() / "a.yaml").string());
  CHECK(stale[0].error.rfind((ws.root() / "a.yaml").string() + ":2:", 0) == 0);
  CHECK(stale[0].content_hash == serving[0]->content_hash);
  CHECK(stale[0].version == serving[0]->version);

  // A script that no longer compiles counts as an error of its workflow too.
  ws.write("a.yaml", flow("a", "a.lua"));
  ws.write("a.lua", "return function(ctx, input) return input\n");
  plan = ws.reload(serving);
  CHECK_FALSE(plan.diagnostics.empty());
  REQUIRE(plan.kept.size() == 1);
  CHECK(plan.kept[0] == serving[0]);
  stale = weft::reload::stale_definitions(plan.kept, plan.invalid_files);
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].error.find("a.lua") != std::string::npos);

  // Fixed: nothing is stale.
  ws.write("a.lua", kStep);
  plan = ws.reload(serving);
  CHECK(weft::reload::stale_definitions(plan.kept, plan.invalid_files).empty());
}

TEST_CASE("files added and removed add and remove workflows", "[reload]") {
  Workspace ws;
  ws.write("a.yaml", flow("a"));
  ws.write("gone.yaml", flow("gone"));
  ws.write("step.lua", kStep);
  const auto serving = ws.load();
  fs::remove(ws.root() / "gone.yaml");
  ws.write("sub/new.yml", flow("new", "../step.lua"));
  const auto plan = ws.reload(serving);
  CHECK(plan.diagnostics.empty());
  CHECK(ids(plan.added) == std::vector<std::string>{"new"});
  CHECK(ids(plan.removed) == std::vector<std::string>{"gone"});
  CHECK(ids(plan.serving) == std::vector<std::string>{"a", "new"});
}

TEST_CASE("a file whose id was renamed removes the old workflow and adds the new one", "[reload]") {
  Workspace ws;
  const auto serving = ws.one_workflow();
  ws.write("a.yaml", flow("renamed"));
  const auto plan = ws.reload(serving);
  CHECK(ids(plan.removed) == std::vector<std::string>{"a"});
  CHECK(ids(plan.added) == std::vector<std::string>{"renamed"});
  CHECK(plan.kept.empty());
}

TEST_CASE("a second file claiming a serving workflow's id leaves the serving version in place", "[reload]") {
  Workspace ws;
  const auto serving = ws.one_workflow();
  ws.write("copy.yaml", flow("a"));
  const auto plan = ws.reload(serving);
  CHECK(plan.diagnostics.size() == 2);  // reported at both places
  CHECK(ids(plan.kept) == std::vector<std::string>{"a"});
  CHECK_FALSE(plan.changes_serving());
  REQUIRE(plan.serving.size() == 1);
  CHECK(plan.serving[0] == serving[0]);
}

TEST_CASE("a version label shows the content hash when a version is declared", "[reload]") {
  Workspace ws;
  ws.write("a.yaml", "version: 3\n" + flow("a"));
  ws.write("b.yaml", flow("b"));
  ws.write("step.lua", kStep);
  const auto serving = ws.load();
  CHECK(weft::reload::version_label(*serving[0]) == "3 [" + serving[0]->content_hash.substr(0, 12) + "]");
  CHECK(weft::reload::version_label(*serving[1]) == serving[1]->content_hash.substr(0, 12));
}
