#include "definitions/graph_check.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace weft::definitions;

namespace {

StepDependencies step(const std::string& id, int line, std::vector<std::string> after = {}, bool declared = true) {
  StepDependencies dependencies{id, {"wf.yaml", line, 5}, declared, {}};
  for (const auto& name : after) dependencies.after.push_back(Dependency{name, {"wf.yaml", line, 12}});
  return dependencies;
}

}  // namespace

TEST_CASE("steps without after wait for the previous one", "[definitions][graph]") {
  std::vector<StepDependencies> steps{step("a", 1, {}, false), step("b", 2, {}, false), step("c", 3, {}, true),
                                      step("d", 4, {}, false)};
  weft::Diagnostics out;
  resolve_dependencies(steps, out);
  CHECK(out.empty());
  CHECK(steps[0].after.empty());
  REQUIRE(steps[1].after.size() == 1);
  CHECK(steps[1].after[0].step_id == "a");
  CHECK(steps[2].after.empty());
  CHECK(steps[3].after[0].step_id == "c");
}

TEST_CASE("a diamond is not a cycle", "[definitions][graph]") {
  std::vector<StepDependencies> steps{step("a", 1), step("b", 2, {"a"}), step("c", 3, {"a"}), step("d", 4, {"b", "c"})};
  weft::Diagnostics out;
  resolve_dependencies(steps, out);
  CHECK(out.empty());
}

TEST_CASE("cycles are named, once each", "[definitions][graph]") {
  std::vector<StepDependencies> steps{step("a", 1, {"c"}), step("b", 2, {"a"}), step("c", 3, {"b"}),
                                      step("d", 4, {"d"}), step("e", 5, {"a"})};
  weft::Diagnostics out;
  resolve_dependencies(steps, out);
  REQUIRE(out.size() == 2);
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.location.line < y.location.line; });
  CHECK(out[0].message == "`after` forms a cycle: a -> c -> b -> a (each step waits for the next)");
  CHECK(out[0].location.line == 1);
  CHECK(out[0].location.column == 12);
  CHECK(out[1].message == "`after` forms a cycle: d -> d (each step waits for the next)");
}

TEST_CASE("unknown dependencies are reported at the after entry", "[definitions][graph]") {
  std::vector<StepDependencies> steps{step("a", 1), step("b", 7, {"a", "ghost"})};
  weft::Diagnostics out;
  resolve_dependencies(steps, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].location.line == 7);
  CHECK(out[0].message == "step `b` waits for unknown step `ghost`");
}
