#include "common/duration.hpp"

#include <catch2/catch.hpp>

using weft::Millis;

TEST_CASE("durations parse in every unit", "[common]") {
  CHECK(weft::parse_duration("250ms") == Millis{250});
  CHECK(weft::parse_duration("5s") == Millis{5000});
  CHECK(weft::parse_duration("10m") == Millis{600000});
  CHECK(weft::parse_duration("2h") == Millis{7200000});
  CHECK(weft::parse_duration("1d") == Millis{86400000});
  CHECK(weft::parse_duration("1.5s") == Millis{1500});
}

TEST_CASE("bad durations are rejected", "[common]") {
  for (const char* text : {"", "5", "s", "-5s", "+5s", "5 s", "5sec", "1.0001ms", "abc", "5x"}) {
    INFO(text);
    CHECK_FALSE(weft::parse_duration(text).has_value());
  }
}

TEST_CASE("durations format to their shortest exact unit", "[common]") {
  CHECK(weft::format_duration(Millis{1500}) == "1500ms");
  CHECK(weft::format_duration(Millis{120000}) == "2m");
  CHECK(weft::format_duration(Millis{86400000}) == "1d");
  CHECK(weft::format_duration(Millis{0}) == "0ms");
}

TEST_CASE("rates parse as percentages or fractions", "[common]") {
  CHECK(weft::parse_rate("50%") == 0.5);
  CHECK(weft::parse_rate("0.25") == 0.25);
  CHECK_FALSE(weft::parse_rate("150%").has_value());
  CHECK_FALSE(weft::parse_rate("-1").has_value());
  CHECK_FALSE(weft::parse_rate("half").has_value());
}
