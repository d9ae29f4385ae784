// The list of workflows that serve an older version because their file has
// errors, which the health endpoint reads while reloads replace it.
#include "reload/definition_health.hpp"

#include <catch2/catch.hpp>

#include <thread>

using weft::reload::DefinitionHealth;
using weft::reload::StaleDefinition;

TEST_CASE("DefinitionHealth keeps the last list, sorted, and reads safely beside a writer", "[reload]") {
  DefinitionHealth health;
  CHECK(health.stale().empty());
  health.set({StaleDefinition{"b", "b.yaml", "b.yaml:1:1: x", "1", "hb"},
              StaleDefinition{"a", "a.yaml", "a.yaml:2:3: y", "2", "ha"}});
  const auto stale = health.stale();
  REQUIRE(stale.size() == 2);
  CHECK(stale[0].workflow == "a");
  CHECK(stale[1].error == "b.yaml:1:1: x");

  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) health.set(i % 2 ? std::vector<StaleDefinition>{} : stale);
  });
  bool torn = false;
  for (int i = 0; i < 2000; ++i) {
    const auto read = health.stale();
    torn = torn || !(read.empty() || (read.size() == 2 && read[0].workflow == "a"));
  }
  writer.join();
  CHECK_FALSE(torn);
  health.set({});
  CHECK(health.stale().empty());
}
