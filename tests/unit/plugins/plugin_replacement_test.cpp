// Replacing a plugin while it runs: calls in flight finish on
// the old library, new calls use the new one, and the old one is unloaded
// (shutdown hook, then closed) when its last call returns.
#include "plugin_fixtures.hpp"
#include "plugins/plugin_host.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <atomic>
#include <future>
#include <thread>
#include <vector>

using weft::Json;
using weft::JsonObject;
using weft::plugins::ActionCall;
using weft::plugins::PluginHost;
using weft::test::eventually;
using weft::test::install_fixture;
using weft::test::mapped_files;
using weft::test::TempDir;

namespace {

ActionCall blocker_call(const std::string& action, const Json& input) {
  ActionCall call;
  call.plugin = "blocker";
  call.action = action;
  call.identity.execution_id = "exec";
  call.identity.step = "wait";
  call.input = &input;
  return call;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("a plugin replaced during calls: old calls finish on the old code, then it unloads", "[plugin][reload]") {
  TempDir dir;
  const auto shutdown_log = dir.path() / "shutdowns.txt";
  const auto installed = install_fixture(dir.path() / "plugins", "blocker_v1", "libweft_blocker.so");
  PluginHost host(JsonObject{{"blocker", JsonObject{{"shutdown_log", shutdown_log.string()}}}});
  REQUIRE_FALSE(host.load(installed).has_value());
  // Each load maps a private copy, named after the installed file.
  const auto first_copy = mapped_files("libweft_blocker.so");
  REQUIRE(first_copy.size() == 1);

  const Json blocked_input = JsonObject{{"release", (dir.path() / "release").string()}};
  auto in_flight = std::async(std::launch::async, [&] { return host.run(blocker_call("wait", blocked_input)); });
  // Give the call time to enter the old library before it is replaced.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(in_flight.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);

  // Overwrite the installed file in place, as a deploy would, and reload it.
  install_fixture(dir.path() / "plugins", "blocker_v2", "libweft_blocker.so");
  REQUIRE_FALSE(host.reload(installed).has_value());
  const Json no_input = nullptr;
  const auto fresh = host.run(blocker_call("version", no_input));
  REQUIRE(fresh.ok());
  CHECK(fresh.output().at("version") == "2.0.0");
  REQUIRE(host.plugins().size() == 1);
  CHECK(host.plugins()[0].version == "2.0.0");
  // Both builds are mapped while the old one still has a call.
  CHECK(mapped_files("libweft_blocker.so").size() == 2);
  CHECK_FALSE(std::filesystem::exists(shutdown_log));

  dir.write("release", "go");
  const auto finished = in_flight.get();
  REQUIRE(finished.ok());
  CHECK(finished.output().at("version") == "1.0.0");
  // The last call on 1.0.0 returned: its shutdown hook ran and the library is gone.
  CHECK(read_file(shutdown_log) == "shutdown 1.0.0\n");
  const auto second_copy = mapped_files("libweft_blocker.so");
  CHECK(second_copy.size() == 1);
  CHECK(second_copy != first_copy);

  // Removing the file's plugin: no new calls; the library is unloaded at once when idle.
  REQUIRE(host.remove(installed));
  CHECK(host.check("blocker", "version").has_value());
  CHECK(read_file(shutdown_log) == "shutdown 1.0.0\nshutdown 2.0.0\n");
  CHECK(mapped_files("libweft_blocker.so").empty());
  CHECK_FALSE(host.remove(installed));
}

TEST_CASE("a replacement that is refused keeps the loaded version serving", "[plugin][reload]") {
  TempDir dir;
  const auto installed = install_fixture(dir.path(), "blocker_v1", "libweft_blocker.so");
  PluginHost host;
  REQUIRE_FALSE(host.load(installed).has_value());
  // A half-written file (a deploy in progress) is refused; 1.0.0 keeps serving.
  dir.write("libweft_blocker.so", "\x7f" "ELF truncated");
  REQUIRE(host.reload(installed).has_value());
  const Json no_input = nullptr;
  const auto outcome = host.run(blocker_call("version", no_input));
  REQUIRE(outcome.ok());
  CHECK(outcome.output().at("version") == "1.0.0");
}

TEST_CASE("calls from many threads while the plugin is replaced again and again all succeed", "[plugin][reload]") {
  TempDir dir;
  const auto installed = install_fixture(dir.path(), "blocker_v1", "libweft_blocker.so");
  PluginHost host;
  REQUIRE_FALSE(host.load(installed).has_value());
  std::atomic<bool> done{false};
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      const Json no_input = nullptr;
      while (!done) {
        const auto outcome = host.run(blocker_call("version", no_input));
        const bool known = outcome.ok() && (outcome.output().at("version") == "1.0.0" ||
                                            outcome.output().at("version") == "2.0.0");
        if (!known) ++failures;
        ++calls;
      }
    });
  }
  for (int round = 0; round < 20; ++round) {
    install_fixture(dir.path(), round % 2 == 0 ? "blocker_v2" : "blocker_v1", "libweft_blocker.so");
    REQUIRE_FALSE(host.reload(installed).has_value());
  }
  done = true;
  for (auto& caller : callers) caller.join();
  CHECK(failures == 0);
  CHECK(calls > 20);
  // Only the last build is still mapped: every replaced one was unloaded.
  CHECK(mapped_files("libweft_blocker.so").size() == 1);
  CHECK(host.plugins().at(0).version == "1.0.0");
}
