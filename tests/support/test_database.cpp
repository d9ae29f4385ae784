#include "support/test_database.hpp"

#include "embedded_db/cluster.hpp"

#include <pqxx/pqxx>

#include <cstdio>
#include <random>

#ifndef WEFT_TEST_HOME
#error "WEFT_TEST_HOME must name the shared test cluster's home"
#endif

namespace weft::test {
namespace {

std::string random_suffix() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::string suffix;
  for (int i = 0; i < 16; ++i) suffix += kHex[random() % 16];
  return suffix;
}

}  // namespace

std::string test_cluster_url(std::string_view database) {
  return embedded_db::Cluster(WEFT_TEST_HOME).url(database);
}

TestDatabase::TestDatabase() : name_("weft_test_" + random_suffix()) {
  embedded_db::Cluster cluster(WEFT_TEST_HOME);
  // Idempotent and cheap when the ctest fixture already started it.
  cluster.start();
  pqxx::connection connection(cluster.url("postgres"));
  pqxx::nontransaction tx(connection);
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  url_ = cluster.url(name_);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection connection(test_cluster_url("postgres"));
    pqxx::nontransaction tx(connection);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "warning: could not drop test database %s: %s\n", name_.c_str(),
                 error.what());
  }
}

}  // namespace weft::test
