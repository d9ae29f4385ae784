// A throwaway PostgreSQL database per test, in the shared test cluster (the
// embedded cluster at WEFT_TEST_HOME that the ctest fixture `pg_start` starts).
#pragma once

#include <string>
#include <string_view>

namespace weft::test {

/// libpq URI of `database` in the shared test cluster.
std::string test_cluster_url(std::string_view database = "postgres");

/// Creates `weft_test_<random>` on construction (starting the shared cluster
/// if a test binary is run outside ctest) and drops it, with any sessions
/// still connected, on destruction.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

}  // namespace weft::test
