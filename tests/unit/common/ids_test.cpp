#include "common/ids.hpp"

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("uuids are canonical version 4 and distinct", "[common]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = weft::new_uuid();
    REQUIRE(weft::is_uuid(id));
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("trace ids come from a valid traceparent only", "[common]") {
  CHECK(weft::trace_id_from_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") ==
        std::string("4bf92f3577b34da6a3ce929d0e0e4736"));
  CHECK_FALSE(weft::trace_id_from_traceparent("00-0000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(weft::trace_id_from_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(weft::trace_id_from_traceparent("garbage"));
  CHECK(weft::new_trace_id().size() == 32);
}
