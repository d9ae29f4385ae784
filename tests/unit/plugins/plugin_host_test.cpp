// Loading plugins: the ABI check, every refusal, configuration,
// and every kind of throw turned into a step error.
#include "plugin_fixtures.hpp"
#include "plugins/loaded_plugin.hpp"
#include "plugins/plugin_host.hpp"

#include <catch2/catch.hpp>

using weft::Json;
using weft::JsonObject;
using weft::plugins::ActionCall;
using weft::plugins::PluginHost;
using weft::test::install_fixture;
using weft::test::TempDir;

namespace {

ActionCall call_of(const std::string& plugin, const std::string& action, const Json& input) {
  ActionCall call;
  call.plugin = plugin;
  call.action = action;
  call.identity.execution_id = "exec-1";
  call.identity.workflow = "wf";
  call.identity.version = "7";
  call.identity.step = "charge";
  call.identity.attempt = 2;
  call.identity.trace_id = "trace-1";
  call.identity.idempotency_key = "exec-1:charge";
  call.input = &input;
  return call;
}

}  // namespace

TEST_CASE("a plugin loads and its action sees the input, the call context and its config", "[plugin]") {
  TempDir dir;
  const auto file = install_fixture(dir.path() / "plugins", "echo");
  PluginHost host(JsonObject{{"echo", JsonObject{{"greeting", "hi"}}}});
  REQUIRE_FALSE(host.load(file).has_value());
  CHECK_FALSE(host.check("echo", "echo").has_value());
  const auto listed = host.plugins();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == "echo");
  CHECK(listed[0].version == "0.3.0");
  CHECK(listed[0].actions == std::vector<std::string>{"echo", "needs_db", "record", "slow"});

  const Json input = JsonObject{{"amount", 12}};
  const auto outcome = host.run(call_of("echo", "echo", input));
  REQUIRE(outcome.ok());
  const auto& output = outcome.output().as_object();
  CHECK(output.at("input") == input);
  CHECK(output.at("config").at("greeting") == "hi");
  CHECK(output.at("execution_id") == "exec-1");
  CHECK(output.at("workflow") == "wf");
  CHECK(output.at("version") == "7");
  CHECK(output.at("step") == "charge");
  CHECK(output.at("attempt") == 2);
  CHECK(output.at("trace_id") == "trace-1");
  CHECK(output.at("idempotency_key") == "exec-1:charge");
}

TEST_CASE("unknown plugins and actions are reported by check and fail a call as unknown_action", "[plugin]") {
  TempDir dir;
  PluginHost host;
  REQUIRE_FALSE(host.load(install_fixture(dir.path(), "echo")).has_value());
  const auto no_action = host.check("echo", "charge");
  REQUIRE(no_action.has_value());
  CHECK_THAT(*no_action, Catch::Contains("has no action 'charge'") && Catch::Contains("echo, needs_db"));
  REQUIRE(host.check("payments", "charge").has_value());
  const Json input = nullptr;
  const auto outcome = host.run(call_of("payments", "charge", input));
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "unknown_action");
  CHECK_FALSE(outcome.error().retryable);
  CHECK_THAT(outcome.error().message, Catch::Contains("payments.charge"));
}

TEST_CASE("exceptions thrown by actions become step errors with the spec's retryability", "[plugin]") {
  TempDir dir;
  PluginHost host;
  REQUIRE_FALSE(host.load(install_fixture(dir.path(), "throws")).has_value());
  const Json input = nullptr;

  const auto std_error = host.run(call_of("throws", "std", input));
  REQUIRE_FALSE(std_error.ok());
  CHECK(std_error.error().code == "error");
  CHECK(std_error.error().retryable);
  CHECK(std_error.error().message == "the ledger is locked");

  const auto thrown_int = host.run(call_of("throws", "int", input));
  REQUIRE_FALSE(thrown_int.ok());
  CHECK(thrown_int.error().code == "error");
  CHECK(thrown_int.error().retryable);
  CHECK_THAT(thrown_int.error().message, Catch::Contains("not a std::exception"));

  const auto failure = host.run(call_of("throws", "failure", input));
  REQUIRE_FALSE(failure.ok());
  CHECK(failure.error().code == "card_declined");
  CHECK_FALSE(failure.error().retryable);
  CHECK(failure.error().message == "the card was declined");

  const auto coded = host.run(call_of("throws", "coded", input));
  REQUIRE_FALSE(coded.ok());
  CHECK(coded.error().code == "rate_limited");
  CHECK(coded.error().retryable);
}

TEST_CASE("ctx.db() outside a transactional step fails the step without retrying", "[plugin]") {
  TempDir dir;
  PluginHost host;
  REQUIRE_FALSE(host.load(install_fixture(dir.path(), "echo")).has_value());
  const Json input = nullptr;
  const auto outcome = host.run(call_of("echo", "needs_db", input));
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "no_transaction");
  CHECK_FALSE(outcome.error().retryable);
}

TEST_CASE("a plugin built against another ABI is refused with both versions named", "[plugin]") {
  TempDir dir;
  PluginHost host;
  const auto refused = host.load(install_fixture(dir.path(), "bad_abi"));
  REQUIRE(refused.has_value());
  CHECK_THAT(*refused, Catch::Contains("libweft_bad_abi.so") && Catch::Contains("ABI 99.0") &&
                           Catch::Contains("ABI 1.0"));
  CHECK(host.plugins().empty());
  CHECK(host.check("echo", "echo").has_value());
}

TEST_CASE("a library that is not a plugin is refused", "[plugin]") {
  TempDir dir;
  PluginHost host;
  const auto plain = host.load(install_fixture(dir.path(), "not_a_plugin"));
  REQUIRE(plain.has_value());
  CHECK_THAT(*plain, Catch::Contains("not a weft plugin"));
  const auto text = host.load(dir.write("libweft_notes.so", "these are notes, not ELF\n"));
  REQUIRE(text.has_value());
  CHECK_THAT(*text, Catch::Contains("libweft_notes.so") && Catch::Contains("cannot be loaded"));
  const auto missing = host.load(dir.path() / "libweft_missing.so");
  REQUIRE(missing.has_value());
  CHECK(host.plugins().empty());
}

TEST_CASE("a plugin whose init throws is refused", "[plugin]") {
  TempDir dir;
  PluginHost host;
  const auto refused = host.load(install_fixture(dir.path(), "init_throws"));
  REQUIRE(refused.has_value());
  CHECK_THAT(*refused, Catch::Contains("init failed") && Catch::Contains("no api_key in the config"));
  CHECK(host.check("init_throws", "never").has_value());
}

TEST_CASE("a plugin declaring an action twice is refused", "[plugin]") {
  TempDir dir;
  PluginHost host;
  const auto refused = host.load(install_fixture(dir.path(), "duplicate_action"));
  REQUIRE(refused.has_value());
  CHECK_THAT(*refused, Catch::Contains("declares the action 'go' twice"));
  CHECK(host.plugins().empty());
}

TEST_CASE("a second file with an already loaded plugin name is refused and the first keeps serving", "[plugin]") {
  TempDir dir;
  PluginHost host;
  REQUIRE_FALSE(host.load(install_fixture(dir.path(), "echo")).has_value());
  const auto refused = host.load(install_fixture(dir.path(), "echo", "libweft_echo_copy.so"));
  REQUIRE(refused.has_value());
  CHECK_THAT(*refused, Catch::Contains("named 'echo' is already loaded"));
  const Json input = 1;
  CHECK(host.run(call_of("echo", "echo", input)).ok());
}

TEST_CASE("a plugins directory loads every good plugin and reports each bad file", "[plugin]") {
  TempDir dir;
  const auto plugins = dir.path() / "plugins";
  for (const auto* name : {"echo", "throws", "bad_abi", "init_throws", "duplicate_action", "not_a_plugin"})
    install_fixture(plugins, name);
  dir.write("plugins/README.txt", "not a library, not even looked at\n");
  PluginHost host;
  const auto refused = host.load_directory(plugins);
  CHECK(refused.size() == 4);
  const auto listed = host.plugins();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "echo");
  CHECK(listed[1].name == "throws");
  const Json input = nullptr;
  CHECK(host.run(call_of("echo", "echo", input)).ok());
}

TEST_CASE("the ABI check names what does not match", "[plugin]") {
  using weft::plugins::abi_problem;
  weft_plugin_descriptor descriptor{};
  descriptor.magic = WEFT_ABI_MAGIC;
  descriptor.struct_size = sizeof(weft_plugin_descriptor);
  descriptor.abi_major = WEFT_ABI_MAJOR;
  descriptor.abi_minor = WEFT_ABI_MINOR;
  descriptor.sdk_version = "0.1.0";
  descriptor.compiler_id = WEFT_COMPILER_ID;
  descriptor.plugin_name = "p";
  descriptor.plugin_version = "1";
  descriptor.init = [](const char*, size_t, weft_text_sink*) { return 0; };
  descriptor.run = [](const weft_action_call*, weft_text_sink*) { return 0; };
  descriptor.shutdown = [] {};
  CHECK_FALSE(abi_problem(descriptor).has_value());

  auto newer = descriptor;
  newer.abi_minor = WEFT_ABI_MINOR + 1;
  REQUIRE(abi_problem(newer).has_value());
  CHECK_THAT(*abi_problem(newer), Catch::Contains("ABI 1." + std::to_string(WEFT_ABI_MINOR + 1) + " (SDK 0.1.0)"));

  auto other_library = descriptor;
  other_library.compiler_id = "clang 16 / libc++";
  REQUIRE(abi_problem(other_library).has_value());
  CHECK_THAT(*abi_problem(other_library), Catch::Contains("libc++") && Catch::Contains("libstdc++"));

  auto truncated = descriptor;
  truncated.struct_size = 8;
  REQUIRE(abi_problem(truncated).has_value());
  CHECK_THAT(*abi_problem(truncated), Catch::Contains("truncated"));

  auto foreign = descriptor;
  foreign.magic = 0x12345678;
  REQUIRE(abi_problem(foreign).has_value());
  CHECK_THAT(*abi_problem(foreign), Catch::Contains("not a weft plugin"));

  auto incomplete = descriptor;
  incomplete.run = nullptr;
  REQUIRE(abi_problem(incomplete).has_value());
}
