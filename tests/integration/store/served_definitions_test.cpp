// Which stored version a start that names none gets: the one live hosts serve
// (the newest stored of them when they differ), else the newest stored one.
// Other host processes are rows written here as their hosts would write them.
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <chrono>

using weft::store::DefinitionSnapshot;
using weft::store::Store;

namespace {

DefinitionSnapshot snapshot(const std::string& workflow, const std::string& hash, const std::string& path) {
  return DefinitionSnapshot{workflow, hash, hash.substr(0, 2), path, "id: " + workflow, {{"s.lua", "-- " + hash}}};
}

struct Database {
  weft::test::TestDatabase database;
  Database() { weft::store::migrate(database.url()); }
  void sql(const std::string& statement) {
    pqxx::connection db(database.url());
    pqxx::nontransaction txn(db);
    txn.exec(statement);
  }
  /// Versions h1 and h2 of workflow w from `path`, h1 stored an hour before h2.
  void store_two_versions(Store& store, const std::string& path) {
    store.save_definition(snapshot("w", "h1", path));
    store.save_definition(snapshot("w", "h2", path));
    sql("UPDATE weft.definitions SET created_at = now() - interval '1 hour' WHERE content_hash = 'h1'");
  }
  /// A host process other than this one that serves `hash` of `workflow`; its host row is live.
  void other_host_serves(const std::string& process, const std::string& workflow, const std::string& hash) {
    sql("INSERT INTO weft.hosts (id, hostname, pid, lease_ms, process) VALUES (gen_random_uuid(), 'elsewhere', 1, "
        "15000, '" + process + "') ON CONFLICT DO NOTHING");
    sql("INSERT INTO weft.served_definitions (process, workflow, content_hash) VALUES ('" + process + "', '" +
        workflow + "', '" + hash + "')");
  }
};

std::string chosen_hash(Store& store, const std::string& workflow, int hosts) {
  const auto chosen = store.served_definition(workflow);
  REQUIRE(chosen.has_value());
  CHECK(chosen->hosts == hosts);
  return chosen->snapshot.content_hash;
}

constexpr const char* kOther = "0190a4b2-0000-7000-8000-000000000001";

}  // namespace

TEST_CASE("the version to start: served by live hosts first, else the newest stored", "[store][pg]") {
  Database db;
  Store store(db.database.url());
  CHECK_FALSE(store.served_definition("w").has_value());
  CHECK_FALSE(store.newest_definition("w").has_value());

  db.store_two_versions(store, "/srv/w.yaml");
  store.save_definition(snapshot("other", "o1", "/srv/other.yaml"));
  CHECK(store.stored_workflows() == std::vector<std::string>{"other", "w"});

  // No host serves it: the newest stored version, read in full.
  const auto newest = store.served_definition("w");
  REQUIRE(newest.has_value());
  CHECK(newest->hosts == 0);
  CHECK(newest->snapshot.content_hash == "h2");
  CHECK(newest->snapshot.workflow == "w");
  CHECK(newest->snapshot.version == "h2");
  CHECK(newest->snapshot.source_path == "/srv/w.yaml");
  CHECK(newest->snapshot.scripts.at("s.lua") == "-- h2");
  CHECK(store.newest_definition("w")->content_hash == "h2");

  // This process's host serves the older version: that one is started.
  store.register_host("0190a4b2-0000-7000-8000-0000000000aa", std::chrono::seconds(15));
  store.set_served_definitions({{"w", "h1"}, {"other", "o1"}});
  CHECK(chosen_hash(store, "w", 1) == "h1");
  CHECK(chosen_hash(store, "other", 1) == "o1");
  CHECK(store.newest_definition("w")->content_hash == "h2");  // the last valid version is still the newest

  // Another live host serves the newer one: the newest of the served ones.
  db.other_host_serves(kOther, "w", "h2");
  CHECK(chosen_hash(store, "w", 1) == "h2");
  // ... until its heartbeat is older than its lease.
  db.sql(std::string("UPDATE weft.hosts SET heartbeat_at = now() - interval '1 minute' WHERE process = '") + kOther + "'");
  CHECK(chosen_hash(store, "w", 1) == "h1");

  // Recording again replaces this process's record; `other` is no longer served.
  store.set_served_definitions({{"w", "h2"}});
  CHECK(chosen_hash(store, "w", 1) == "h2");
  CHECK(chosen_hash(store, "other", 0) == "o1");

  // Unregistering the host removes its record.
  store.unregister_host("0190a4b2-0000-7000-8000-0000000000aa");
  CHECK(chosen_hash(store, "w", 0) == "h2");
  pqxx::connection check(db.database.url());
  pqxx::nontransaction txn(check);
  CHECK(txn.exec1("SELECT count(*) FROM weft.served_definitions WHERE process <> '" + std::string(kOther) + "'")[0]
            .as<int>() == 0);
}

TEST_CASE("a host that lost its lease and registered again still serves what it recorded", "[store][pg]") {
  Database db;
  Store store(db.database.url());
  db.store_two_versions(store, "w.yaml");
  store.register_host("0190a4b2-0000-7000-8000-0000000000b1", std::chrono::seconds(15));
  store.set_served_definitions({{"w", "h1"}});
  CHECK(chosen_hash(store, "w", 1) == "h1");

  // Declared dead by a peer: its record no longer counts.
  db.sql("UPDATE weft.hosts SET dead_at = now() WHERE id = '0190a4b2-0000-7000-8000-0000000000b1'");
  CHECK(chosen_hash(store, "w", 0) == "h2");
  // The same process rejoins under a new host id (as the engine does): it counts again.
  store.register_host("0190a4b2-0000-7000-8000-0000000000b2", std::chrono::seconds(15));
  CHECK(chosen_hash(store, "w", 1) == "h1");
}

TEST_CASE("records of processes gone for an hour are removed, and a file's workflow is found", "[store][pg]") {
  Database db;
  Store store(db.database.url());
  db.store_two_versions(store, "/srv/flows/w.yaml");
  store.save_definition(snapshot("renamed", "r1", "/srv/flows/w.yaml"));  // the file's id changed since
  db.sql("UPDATE weft.definitions SET created_at = now() + interval '1 minute' WHERE content_hash = 'r1'");
  CHECK(store.workflow_of_file({"flows/w.yaml", "/srv/flows/w.yaml"}) == std::optional<std::string>("renamed"));
  CHECK_FALSE(store.workflow_of_file({"/srv/flows/other.yaml"}).has_value());

  db.other_host_serves(kOther, "w", "h1");
  db.sql(std::string("UPDATE weft.hosts SET heartbeat_at = now() - interval '30 minutes' WHERE process = '") + kOther +
         "'");
  store.register_host("0190a4b2-0000-7000-8000-0000000000c1", std::chrono::seconds(15));
  store.set_served_definitions({{"w", "h1"}});
  pqxx::connection check(db.database.url());
  const auto rows_of_other = [&] {
    pqxx::nontransaction txn(check);
    return txn.exec1("SELECT count(*) FROM weft.served_definitions WHERE process = '" + std::string(kOther) + "'")[0]
        .as<int>();
  };
  CHECK(rows_of_other() == 1);  // gone 30 minutes: kept (not counted as live, though)
  db.sql(std::string("UPDATE weft.hosts SET heartbeat_at = now() - interval '2 hours' WHERE process = '") + kOther +
         "'");
  store.set_served_definitions({{"w", "h1"}});
  CHECK(rows_of_other() == 0);
}
