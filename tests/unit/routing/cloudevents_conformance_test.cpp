// Data-driven CloudEvents 1.0 conformance: every cases/cloudevents/valid/<name>.json
// must be accepted, every cases/cloudevents/invalid/<name>.json refused with an
// error containing the text of <name>.expect. A file whose JSON text starts with
// `[` is a batch (parse_event_batch_text), any other a single event
// (parse_event_text). Adding a file adds a case.
#include "routing/event.hpp"
#include "routing/event_binding.hpp"
#include "support/cloudevent_cases.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using weft::test::cloudevent_cases;
using weft::test::expected_error;
using weft::test::is_batch_case;
using weft::test::read_text_file;

namespace {

/// What parsing the case's text gives: the error ("" when accepted) and how many events.
struct Outcome {
  std::string error;
  std::size_t events = 0;
};

Outcome parse_case(const std::string& text) {
  if (is_batch_case(text)) {
    auto result = weft::routing::parse_event_batch_text(text);
    return {result.error, result.events ? result.events->size() : 0};
  }
  auto result = weft::routing::parse_event_text(text);
  return {result.error, result.event ? 1U : 0U};
}

}  // namespace

TEST_CASE("every valid CloudEvents case is accepted", "[routing][event][conformance]") {
  const auto files = cloudevent_cases("valid");
  REQUIRE(files.size() >= 15);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      const auto text = read_text_file(file);
      const auto outcome = parse_case(text);
      INFO(outcome.error);
      CHECK(outcome.error.empty());
      if (is_batch_case(text)) {
        CHECK(outcome.events == weft::parse_json(text)->as_array().size());
      } else {
        CHECK(outcome.events == 1);
      }
    }
  }
}

TEST_CASE("every invalid CloudEvents case is refused with its one expected error",
          "[routing][event][conformance]") {
  const auto files = cloudevent_cases("invalid");
  REQUIRE(files.size() >= 40);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      const auto expected = expected_error(file);
      REQUIRE_FALSE(expected.empty());

      const auto outcome = parse_case(read_text_file(file));
      INFO("expected an error containing: " << expected);
      INFO("got: " << outcome.error);
      CHECK(outcome.events == 0);
      CHECK(outcome.error.find(expected) != std::string::npos);
      CHECK(outcome.error.find('\n') == std::string::npos);  // one sentence, one line
    }
  }
}
