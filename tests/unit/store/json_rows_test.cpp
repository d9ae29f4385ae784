// The recordset text a checkpoint sends must be exactly the JSON a tree would give.
#include "store/json_rows.hpp"

#include <catch2/catch.hpp>

using weft::Json;
using weft::JsonObject;
using weft::store::JsonRows;

TEST_CASE("rows written as text parse back to the values they were given", "[store]") {
  JsonRows rows;
  rows.row();
  rows.field("step_id", std::string_view("say \"hi\"\n"));
  rows.field("attempts", std::int64_t{3});
  rows.field("retry_delay_ms", std::optional<std::int64_t>{});
  rows.field("input", Json(JsonObject{{"name", "Ada"}, {"n", 1.5}, {"tags", weft::JsonArray{"a", nullptr}}}));
  rows.row();
  rows.field("step_id", std::string_view("ünïcode"));
  rows.field("retry_delay_ms", std::optional<std::int64_t>{250});
  rows.field("output", Json(nullptr));
  const auto parsed = weft::parse_json(rows.finish());
  REQUIRE(parsed.has_value());
  const auto& array = parsed->as_array();
  REQUIRE(array.size() == 2);
  CHECK(array[0].at("step_id") == "say \"hi\"\n");
  CHECK(array[0].at("attempts") == 3);
  CHECK(array[0].at("retry_delay_ms").is_null());
  CHECK(array[0].at("input") == Json(JsonObject{{"name", "Ada"}, {"n", 1.5}, {"tags", weft::JsonArray{"a", nullptr}}}));
  CHECK(array[1].at("step_id") == "ünïcode");
  CHECK(array[1].at("retry_delay_ms") == 250);
  CHECK(array[1].at("output").is_null());
}

TEST_CASE("no rows make an empty array", "[store]") {
  JsonRows rows;
  CHECK(rows.finish() == "[]");
}
