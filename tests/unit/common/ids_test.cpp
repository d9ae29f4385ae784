#include "common/ids.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>

TEST_CASE("uuids are canonical version 7, distinct and ordered by time", "[common]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = weft::new_uuid();
    REQUIRE(weft::is_uuid(id));
    CHECK(id[14] == '7');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  // The first 48 bits are the Unix time in milliseconds.
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto id = weft::new_uuid();
  const auto stamp = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
  CHECK(stamp >= before);
  CHECK(stamp <= before + 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  CHECK(weft::new_uuid() > id);
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
