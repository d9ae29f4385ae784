// Each shape of a batch of checkpoints is its own statement: only its parts,
// and parameters numbered $1..$n without gaps (PostgreSQL cannot type a
// parameter it never sees).
#include "store/checkpoint_sql.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

using weft::store::checkpoint_statement;
using weft::store::CheckpointShape;
using weft::store::WhenFencedOut;

namespace {

std::set<int> parameter_numbers(const std::string& text) {
  std::set<int> numbers;
  const std::regex parameter(R"(\$(\d+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), parameter); it != std::sregex_iterator(); ++it)
    numbers.insert(std::stoi((*it)[1].str()));
  return numbers;
}

int expected_parameters(CheckpointShape shape) {
  return 1 + shape.attempts + shape.steps + shape.compensations + shape.consumed_signals + shape.events +
         shape.execution;
}

}  // namespace

TEST_CASE("every checkpoint shape numbers its parameters 1..n in the documented order", "[store]") {
  std::set<std::string> names;
  for (unsigned index = 0; index < 2 * CheckpointShape::kCount; ++index) {
    const auto shape = CheckpointShape::from_index(index % CheckpointShape::kCount);
    CHECK(shape.index() == index % CheckpointShape::kCount);
    // The second half: the form that raises when fenced out (sent with COMMIT).
    const auto when = index < CheckpointShape::kCount ? WhenFencedOut::Skip : WhenFencedOut::Raise;
    const auto& statement = checkpoint_statement(shape, when);
    CHECK((statement.text.find("weft.fenced_out()") != std::string::npos) == (when == WhenFencedOut::Raise));
    names.insert(statement.name);
    const auto numbers = parameter_numbers(statement.text);
    INFO(statement.text);
    REQUIRE(!numbers.empty());
    CHECK(*numbers.begin() == 1);
    CHECK(*numbers.rbegin() == expected_parameters(shape));
    CHECK(static_cast<int>(numbers.size()) == expected_parameters(shape));
    CHECK(statement.text.find('@') == std::string::npos);
    CHECK((statement.text.find("weft.attempts") != std::string::npos) == shape.attempts);
    CHECK((statement.text.find("weft.steps") != std::string::npos) == shape.steps);
    CHECK((statement.text.find("weft.compensations") != std::string::npos) == shape.compensations);
    CHECK((statement.text.find("weft.signals") != std::string::npos) == shape.consumed_signals);
    CHECK((statement.text.find("weft.events") != std::string::npos) == shape.events);
    CHECK((statement.text.find("UPDATE weft.executions") != std::string::npos) == shape.execution);
  }
  CHECK(names.size() == 2 * CheckpointShape::kCount);
}

TEST_CASE("a step-only checkpoint numbers steps right after the leases", "[store]") {
  CheckpointShape shape;
  shape.steps = true;
  const auto& text = checkpoint_statement(shape).text;
  CHECK(text.find("jsonb_to_recordset($1::jsonb)") != std::string::npos);
  CHECK(text.find("jsonb_to_recordset($2::jsonb)") != std::string::npos);
}
