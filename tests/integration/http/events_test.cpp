// POST /v1/events through a real client: every content mode of the CloudEvents
// HTTP binding, the same validation as `weft emit`, batches all or nothing,
// duplicates acknowledged and stored once.
#include "http_fixture.hpp"

#include <pqxx/pqxx>

#include <thread>
#include <vector>

using weft::test::HostFixture;
using weft::test::HttpHost;

namespace {

long long stored_events(HostFixture& fx) {
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  return txn.exec1("SELECT count(*) FROM weft.events")[0].as<long long>();
}

void echo_workflow(HostFixture& fx) {
  fx.workflow("echo.yaml", R"(
id: echo
on: [ { type: greeting } ]
steps:
  - id: say
    lua: say.lua
)");
  fx.script("say.lua", "return function(ctx, input) return { said = ctx.event.data } end\n");
}

}  // namespace

TEST_CASE("events arrive in every content mode and start executions", "[http][pg]") {
  HostFixture fx;
  echo_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;

  const auto structured = client.request(
      "POST", "/v1/events",
      R"({"specversion":"1.0","id":"s-1","source":"test","type":"greeting","data":{"to":"structured"}})",
      {{"Content-Type", "application/cloudevents+json"}});
  CHECK(structured.status == 202);
  CHECK(weft::to_json_text(structured.json().at("ids")) == R"(["s-1"])");

  const auto batch = client.request(
      "POST", "/v1/events",
      R"([{"specversion":"1.0","id":"b-1","source":"test","type":"greeting","data":1},
          {"specversion":"1.0","id":"b-2","source":"test","type":"greeting","data":2}])",
      {{"Content-Type", "application/cloudevents-batch+json"}});
  CHECK(batch.status == 202);
  CHECK(batch.json().at("ids").as_array().size() == 2);

  const auto binary = client.request("POST", "/v1/events", R"({"to":"binary"})",
                                     {{"Content-Type", "application/json"},
                                      {"ce-specversion", "1.0"},
                                      {"ce-id", "bin-1"},
                                      {"ce-source", "test"},
                                      {"ce-type", "greeting"}});
  CHECK(binary.status == 202);

  const auto plain_json = client.post_json(
      "/v1/events", R"({"specversion":"1.0","id":"j-1","source":"test","type":"greeting","data":{"to":"json"}})");
  CHECK(plain_json.status == 202);

  // Five events, five executions; the binary one's data is the parsed body.
  REQUIRE(weft::test::eventually([&] {
    return fx.store().list_executions({"echo", std::string("completed"), 100}).size() == 5;
  }));
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(std::string(txn.exec1("SELECT document->'data'->>'to' FROM weft.events WHERE id = 'bin-1'")[0].c_str()) ==
        "binary");
}

TEST_CASE("a duplicate event is acknowledged again and stored once", "[http][pg]") {
  HostFixture fx;
  echo_workflow(fx);
  HttpHost http(fx);
  const std::string event = R"({"specversion":"1.0","id":"dup-1","source":"test","type":"greeting","data":{}})";
  const auto first = http.client->post_json("/v1/events", event);
  const auto second = http.client->post_json("/v1/events", event);
  CHECK(first.status == 202);
  CHECK(second.status == 202);
  CHECK(first.json().at("duplicates").as_array().empty());
  CHECK(weft::to_json_text(second.json().at("duplicates")) == R"(["dup-1"])");
  CHECK(stored_events(fx) == 1);
  CHECK(http.client->post_json("/v1/events", "{}").status == 400);
  const auto metrics = http.client->get("/metrics").body;
  for (const char* line : {R"(weft_events_received_total{intake="http",outcome="stored"} 1)",
                           R"(weft_events_received_total{intake="http",outcome="duplicate"} 1)",
                           R"(weft_events_received_total{intake="http",outcome="refused"} 1)"}) {
    INFO(line);
    CHECK(metrics.find(line) != std::string::npos);
  }
}

TEST_CASE("concurrent producers are committed together, each request all or nothing, each duplicate once", "[http][pg]") {
  HostFixture fx;
  echo_workflow(fx);
  HttpHost http(fx);
  // 16 producers at once, each posting 25 events; every event id is posted by two
  // producers, so the requests that share a commit also share events.
  constexpr int kProducers = 16;
  constexpr int kEach = 25;
  std::vector<std::vector<weft::test::HttpResponse>> answers(kProducers);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      weft::test::HttpClient client("127.0.0.1", http.port);
      for (int i = 0; i < kEach; ++i) {
        const auto id = "c-" + std::to_string(p / 2) + "-" + std::to_string(i);
        answers[p].push_back(client.post_json(
            "/v1/events", R"({"specversion":"1.0","id":")" + id + R"(","source":"test","type":"greeting","data":{}})"));
      }
    });
  }
  for (auto& producer : producers) producer.join();
  int acknowledged = 0;
  int duplicates = 0;
  for (const auto& list : answers) {
    for (const auto& answer : list) {
      acknowledged += answer.status == 202;
      duplicates += static_cast<int>(answer.json().at("duplicates").as_array().size());
    }
  }
  CHECK(acknowledged == kProducers * kEach);
  CHECK(duplicates == kProducers * kEach / 2);  // of each pair, exactly one was new
  CHECK(stored_events(fx) == kProducers * kEach / 2);

  // A batch stays all or nothing when it shares a commit: one invalid element refuses the request.
  const auto refused = http.client->request(
      "POST", "/v1/events",
      R"([{"specversion":"1.0","id":"b-1","source":"test","type":"greeting"},{"specversion":"1.0","id":"b-2","source":"test"}])",
      {{"Content-Type", "application/cloudevents-batch+json"}});
  CHECK(refused.status == 400);
  CHECK(stored_events(fx) == kProducers * kEach / 2);
}

TEST_CASE("invalid events are refused with the message weft emit gives, and nothing is stored", "[http][pg]") {
  HostFixture fx;
  echo_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;

  const std::vector<std::string> invalid = {
      R"({"specversion":"1.0","source":"test","type":"greeting"})",                   // no id
      R"({"specversion":"0.3","id":"x","source":"test","type":"greeting"})",          // wrong version
      R"({"specversion":"1.0","id":"x","source":"test","type":"greeting","time":"yesterday"})",
      R"({"specversion":"1.0","id":"x","source":"test","type":"greeting","Bad-Name":"v"})",
      R"({"specversion":"1.0","id":"x","source":"test","type":"greeting","data":1,"data_base64":"AA=="})",
  };
  for (const auto& document : invalid) {
    INFO(document);
    const auto answer = client.request("POST", "/v1/events", document, {{"Content-Type", "application/cloudevents+json"}});
    CHECK(answer.status == 400);
    CHECK(answer.error_code() == "invalid_event");
    const auto message = std::string(answer.json().at("error").at("message").as_string());
    // The same document through `weft emit` fails with the same message.
    const auto emitted = fx.weft({"emit"}, document + "\n");
    CHECK(emitted.exit_code == 2);
    CHECK(emitted.err.find(message) != std::string::npos);
  }

  // A batch with one bad event stores none of them.
  const auto batch = client.request(
      "POST", "/v1/events",
      R"([{"specversion":"1.0","id":"ok-1","source":"test","type":"greeting"},
          {"specversion":"1.0","id":"ok-2","source":"test"}])",
      {{"Content-Type", "application/cloudevents-batch+json"}});
  CHECK(batch.status == 400);
  CHECK(batch.json().at("error").at("message").as_string().find("event 1") != std::string::npos);

  CHECK(client.post_json("/v1/events", "{not json").status == 400);
  const auto text = client.request("POST", "/v1/events", "hello", {{"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  CHECK(text.error_code() == "unsupported_media_type");
  const auto binary_without_type = client.request("POST", "/v1/events", "{}",
                                                  {{"Content-Type", "application/json"},
                                                   {"ce-specversion", "1.0"},
                                                   {"ce-id", "b"},
                                                   {"ce-source", "test"}});
  CHECK(binary_without_type.status == 400);
  CHECK(stored_events(fx) == 0);
}

TEST_CASE("a body over --http-max-body gets 413 and the host serves on", "[http][pg]") {
  HostFixture fx;
  echo_workflow(fx);
  HttpHost http(fx, {"--http-max-body", "64KiB"});
  const std::string big(200 * 1024, 'x');
  const auto answer = http.client->request(
      "POST", "/v1/events",
      R"({"specversion":"1.0","id":"big","source":"test","type":"greeting","data":")" + big + R"("})",
      {{"Content-Type", "application/cloudevents+json"}});
  CHECK(answer.status == 413);
  CHECK(answer.error_code() == "payload_too_large");
  CHECK(stored_events(fx) == 0);
  CHECK(http.client->get("/healthz").status == 200);
}
