#include "common/ids.hpp"
#include "routing/event.hpp"

#include <catch2/catch.hpp>

#include <string>

using weft::routing::parse_event;
using weft::routing::parse_event_text;

namespace {

std::string error_of(std::string_view text) {
  const auto result = parse_event_text(text);
  CHECK_FALSE(result.event.has_value());
  return result.error;
}

/// A complete event (the four required attributes) with `members` (each led by a comma) added.
std::string complete(std::string_view members = {}) {
  return R"({"specversion":"1.0","id":"evt-1","source":"test","type":"t")" + std::string(members) + "}";
}

/// The error of a complete event whose `attribute` is set to `value` (JSON text).
std::string error_with(const std::string& attribute, std::string_view value) {
  auto object = weft::parse_json(complete())->as_object();
  object[attribute] = *weft::parse_json(value);
  const auto result = parse_event(object);
  CHECK_FALSE(result.event.has_value());
  return result.error;
}

/// The error of a complete event without `attribute`.
std::string error_without(const std::string& attribute) {
  auto object = weft::parse_json(complete())->as_object();
  REQUIRE(object.erase(attribute) == 1);
  const auto result = parse_event(object);
  CHECK_FALSE(result.event.has_value());
  return result.error;
}

const std::string kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

}  // namespace

TEST_CASE("a full CloudEvent is parsed as given", "[routing][event]") {
  const auto result = parse_event_text(R"({"specversion":"1.0","id":"evt-42","source":"orders-ui",
    "type":"crud","time":"2026-11-21T10:30:00Z","subject":"o-1",
    "traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "data":{"action":"create","qty":2}})");
  REQUIRE(result.event.has_value());
  CHECK(result.error.empty());
  const auto& event = *result.event;
  CHECK(event.id == "evt-42");
  CHECK(event.source == "orders-ui");
  CHECK(event.type == "crud");
  CHECK(event.specversion == "1.0");
  CHECK(event.time == "2026-11-21T10:30:00Z");
  CHECK(event.trace_id == kTraceId);
  CHECK(event.data.at("qty").as_int64() == 2);
  const auto& document = event.document.as_object();
  CHECK(document.at("traceid").as_string() == kTraceId);
  CHECK(document.at("subject").as_string() == "o-1");  // extension attributes are kept
  CHECK(document.at("data") == event.data);
}

TEST_CASE("only time and the trace id are filled in", "[routing][event]") {
  const auto result = parse_event_text(complete());
  REQUIRE(result.event.has_value());
  const auto& event = *result.event;
  CHECK(event.id == "evt-1");
  CHECK(event.source == "test");
  CHECK(event.specversion == "1.0");
  CHECK(weft::routing::is_rfc3339_timestamp(event.time));
  CHECK(event.time.size() == 24);  // YYYY-MM-DDTHH:MM:SS.mmmZ
  CHECK(event.time.back() == 'Z');
  CHECK(event.data.is_null());
  REQUIRE(event.trace_id.size() == 32);
  CHECK(event.trace_id != std::string(32, '0'));
  const auto& document = event.document.as_object();
  CHECK(document.at("time").as_string() == event.time);
  CHECK(document.at("traceid").as_string() == event.trace_id);
  CHECK_FALSE(document.contains("data"));  // data is optional, and absent stays absent
  CHECK(document.size() == 6);

  const auto other = parse_event_text(complete());
  REQUIRE(other.event.has_value());
  CHECK(other.event->trace_id != event.trace_id);
}

TEST_CASE("null attributes count as absent, but null data is a payload", "[routing][event]") {
  const auto result = parse_event_text(complete(R"(,"subject":null,"time":null,"myext":null,"data":null)"));
  REQUIRE(result.event.has_value());
  const auto& document = result.event->document.as_object();
  CHECK_FALSE(document.contains("subject"));
  CHECK_FALSE(document.contains("myext"));
  CHECK(weft::routing::is_rfc3339_timestamp(document.at("time").as_string()));  // the default, as if absent
  REQUIRE(document.contains("data"));
  CHECK(document.at("data").is_null());

  CHECK(error_with("id", "null") == R"(event attribute "id" is required)");
  CHECK(error_with("specversion", "null") == R"(event attribute "specversion" is required)");
}

TEST_CASE("the producer's attributes are required, never filled in", "[routing][event]") {
  for (const char* attribute : {"specversion", "id", "source", "type"}) {
    INFO(attribute);
    CHECK(error_without(attribute) == "event attribute \"" + std::string(attribute) + "\" is required");
  }
  CHECK(error_of(R"({"type":"crud","data":null})") == R"(event attribute "specversion" is required)");
}

TEST_CASE("malformed events are rejected with one clear sentence", "[routing][event]") {
  CHECK(error_of("[1,2]") == "event must be a JSON object");
  CHECK(error_of("\"crud\"") == "event must be a JSON object");
  CHECK(error_of("{\"type\":") .rfind("invalid JSON", 0) == 0);
  const std::string bad_name = " must be a non-empty string of at most 256 bytes";
  CHECK(error_with("type", R"("")") == R"(event attribute "type")" + bad_name);
  CHECK(error_with("type", "7") == R"(event attribute "type")" + bad_name);
  CHECK(error_with("specversion", R"("0.3")") == R"(event attribute "specversion" must be "1.0")");
  CHECK(error_with("specversion", "1.0") == R"(event attribute "specversion" must be "1.0")");
  CHECK(error_with("id", "42") == R"(event attribute "id")" + bad_name);
  CHECK(error_with("id", R"("")") == R"(event attribute "id")" + bad_name);
  CHECK(error_with("source", R"(["a"])") == R"(event attribute "source")" + bad_name);
  const std::string long_id(257, 'x');
  CHECK(error_with("id", "\"" + long_id + "\"") == R"(event attribute "id")" + bad_name);
  CHECK(parse_event_text(complete(R"(,"data":{},"id":")" + long_id.substr(1) + "\"")).event.has_value());
  CHECK(error_with("id", R"("evt\r\n42")") == R"(event attribute "id" must not contain control characters)");
  const std::string bad_time =
      R"(event attribute "time" must be an RFC 3339 timestamp such as 2026-11-21T10:30:00Z)";
  CHECK(error_with("time", R"("yesterday")") == bad_time);
  CHECK(error_with("time", "1700000000") == bad_time);
  CHECK(error_with("subject", "5") == R"(event attribute "subject" must be a non-empty string)");
  CHECK(error_with("data_base64", R"("AAE")") ==
        R"(event attribute "data_base64" must be a base64 string (RFC 4648, padded))");
  CHECK(error_of(complete(R"(,"data":1,"data_base64":"AAEC")")) ==
        R"(event attribute "data_base64" cannot be given together with "data")");
  CHECK(error_with("Ext", "1") ==
        R"(event attribute "Ext" has an invalid name: extension attribute names are 1 to 20 lower-case letters (a-z) or digits)");
  // A hostile name is shown escaped and cut short.
  CHECK(error_with("a\nb", "1").rfind(R"(event attribute "a\x0Ab" has an invalid name)", 0) == 0);
  CHECK(error_with(std::string(100, 'X'), "1").rfind("event attribute \"" + std::string(40, 'X') + "...\" has", 0) == 0);
  CHECK(error_with("ext", "{}") ==
        R"(event attribute "ext" must be a string, a boolean or an integer from -2147483648 to 2147483647)");
}

TEST_CASE("time must have the shape of RFC 3339", "[routing][event]") {
  using weft::routing::is_rfc3339_timestamp;
  CHECK(is_rfc3339_timestamp("2026-11-21T10:30:00Z"));
  CHECK(is_rfc3339_timestamp("2026-11-21t10:30:00z"));
  CHECK(is_rfc3339_timestamp("2026-11-21T10:30:00.123456Z"));
  CHECK(is_rfc3339_timestamp("2026-11-21T10:30:00+02:00"));
  CHECK(is_rfc3339_timestamp("2026-11-21T10:30:00.5-05:30"));
  CHECK(is_rfc3339_timestamp("2024-02-29T00:00:00Z"));  // leap day
  CHECK(is_rfc3339_timestamp("2016-12-31T23:59:60Z"));  // leap second
  CHECK_FALSE(is_rfc3339_timestamp("2023-02-29T00:00:00Z"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-13-01T00:00:00Z"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-04-31T00:00:00Z"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T24:00:00Z"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T10:60:00Z"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T10:30:00"));   // no offset
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21 10:30:00Z"));  // space separator
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T10:30:00.Z"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T10:30:00+0200"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T10:30:00+24:00"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21T10:30:00Zjunk"));
  CHECK_FALSE(is_rfc3339_timestamp("2026-11-21"));
  CHECK_FALSE(is_rfc3339_timestamp(""));
}

TEST_CASE("the trace id comes from traceparent, then traceid, then is generated", "[routing][event]") {
  const std::string other = "0af7651916cd43dd8448eb211c80319c";
  const std::string traceparent = "00-" + kTraceId + "-00f067aa0ba902b7-01";

  SECTION("traceparent wins over traceid") {
    const auto result = parse_event_text(complete(R"(,"data":1,"traceparent":")" + traceparent +
                                                  R"(","traceid":")" + other + "\""));
    REQUIRE(result.event);
    CHECK(result.event->trace_id == kTraceId);
    CHECK(result.event->document.at("traceid").as_string() == kTraceId);
    CHECK(result.event->document.at("traceparent").as_string() == traceparent);
  }
  SECTION("traceid when there is no traceparent") {
    const auto result = parse_event_text(complete(R"(,"data":1,"traceid":")" + other + "\""));
    REQUIRE(result.event);
    CHECK(result.event->trace_id == other);
  }
  SECTION("an invalid traceparent is ignored, as W3C asks of receivers") {
    const auto result = parse_event_text(
        complete(R"(,"data":1,"traceparent":"00-not-a-trace-01","traceid":")" + other + "\""));
    REQUIRE(result.event);
    CHECK(result.event->trace_id == other);
  }
  SECTION("an invalid traceid is ignored too") {
    for (const char* bad : {"00000000000000000000000000000000", "4BF92F3577B34DA6A3CE929D0E0E4736",
                            "4bf92f35", "not hex at all, not hex at all!!"}) {
      const auto result =
          parse_event_text(complete(R"(,"data":1,"traceid":")" + std::string(bad) + "\""));
      REQUIRE(result.event);
      CHECK(result.event->trace_id != bad);
      CHECK(result.event->trace_id.size() == 32);
    }
    const auto numeric = parse_event_text(complete(R"(,"data":1,"traceid":12)"));
    REQUIRE(numeric.event);
    CHECK(numeric.event->document.at("traceid").as_string() == numeric.event->trace_id);
  }
}

TEST_CASE("parse_event takes an already parsed value", "[routing][event]") {
  weft::JsonObject object;
  object["specversion"] = "1.0";
  object["id"] = "evt-1";
  object["source"] = "test";
  object["type"] = "crud";
  object["data"] = weft::JsonObject{{"qty", 2}};
  const auto result = parse_event(object);
  REQUIRE(result.event);
  CHECK(result.event->type == "crud");
  CHECK(parse_event(weft::Json(nullptr)).error == "event must be a JSON object");
}
