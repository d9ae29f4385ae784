#include "common/json.hpp"

#include <catch2/catch.hpp>

TEST_CASE("json parse reports errors instead of throwing", "[common]") {
  std::string error;
  CHECK_FALSE(weft::parse_json("{\"a\":", &error).has_value());
  CHECK(error.rfind("invalid JSON", 0) == 0);
  const auto value = weft::parse_json(R"({"data":{"order":{"id":"o-1"}}})");
  REQUIRE(value.has_value());
  const auto* id = weft::find_path(*value, "data.order.id");
  REQUIRE(id != nullptr);
  CHECK(id->as_string() == "o-1");
  CHECK(weft::find_path(*value, "data.missing") == nullptr);
  CHECK(weft::find_path(*value, "data.order.id.deeper") == nullptr);
}
