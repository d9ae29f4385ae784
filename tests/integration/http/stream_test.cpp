// /v1/stream: status changes from every host on the database, resumable with
// Last-Event-ID, slow clients dropped.
#include "http_fixture.hpp"

#include <boost/asio.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <set>

using weft::test::eventually;
using weft::test::HostFixture;
using weft::test::HttpHost;
using weft::test::SseClient;
using weft::test::SseEvent;

namespace {

void two_step_workflow(HostFixture& fx) {
  fx.workflow("pair.yaml", R"(
id: pair
steps:
  - id: first
    lua: one.lua
  - id: second
    lua: one.lua
)");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
}

bool completed(const SseEvent& event, const std::string& execution_id);

/// True once the events hold the execution's completion.
bool saw_completion(const std::vector<SseEvent>& events, const std::string& execution_id) {
  return std::any_of(events.begin(), events.end(), [&](const auto& event) { return completed(event, execution_id); });
}

bool completed(const SseEvent& event, const std::string& execution_id) {
  const auto data = weft::parse_json(event.data);
  return event.event == "execution" && data && data->at("execution_id") == execution_id.c_str() &&
         data->at("status") == "completed";
}

std::vector<std::int64_t> ids_of(const std::vector<SseEvent>& events) {
  std::vector<std::int64_t> ids;
  for (const auto& event : events) {
    if (!event.id.empty()) ids.push_back(std::stoll(event.id));
  }
  return ids;
}

std::vector<std::int64_t> stored_changes_after(HostFixture& fx, std::int64_t after) {
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  std::vector<std::int64_t> seqs;
  for (const auto& row : txn.exec_params("SELECT seq FROM weft.changes WHERE seq > $1 ORDER BY seq", after))
    seqs.push_back(row[0].as<std::int64_t>());
  return seqs;
}

}  // namespace

TEST_CASE("the stream shows what another host did, live and from the database", "[http][pg]") {
  HostFixture fx;
  two_step_workflow(fx);
  // Host B, without HTTP, runs an execution before host A exists.
  auto host_b = fx.serve();
  const auto before = fx.start("pair");
  fx.finished(before);

  HttpHost http(fx);  // host A
  // Resuming from 0: everything kept, host B's changes included, in order.
  SseClient resumed(http.port, "/v1/stream?workflow=pair", {{"Last-Event-ID", "0"}});
  CHECK(resumed.head().find("200") != std::string::npos);
  CHECK(resumed.head().find("text/event-stream") != std::string::npos);
  const auto history =
      resumed.read_until([&](const auto& events) { return saw_completion(events, before); }, std::chrono::seconds(10));
  CHECK(saw_completion(history, before));
  const auto history_ids = ids_of(history);
  CHECK(std::is_sorted(history_ids.begin(), history_ids.end()));

  // Live: an execution started now (run by whichever host claims it) shows up with its steps.
  SseClient live(http.port, "/v1/stream?workflow=pair");
  const auto now = http.client->post_json("/v1/workflows/pair/executions", "{}");
  REQUIRE(now.status == 201);
  const std::string id(now.json().at("id").as_string());
  // Until the execution completed and both steps did (in one checkpoint, so in either order).
  const auto events = live.read_until(
      [&](const auto& read) { return saw_completion(read, id) && read.size() >= 7; }, std::chrono::seconds(15));
  CHECK(saw_completion(events, id));
  std::set<std::string> steps;
  for (const auto& event : events) {
    const auto data = weft::parse_json(event.data);
    if (event.event == "step" && data->at("execution_id") == id.c_str()) steps.insert(std::string(data->at("step").as_string()));
  }
  CHECK(steps == std::set<std::string>{"first", "second"});
  // A filter by another trace sees none of it.
  SseClient other(http.port, "/v1/stream?trace_id=0123456789abcdef0123456789abcdef", {{"Last-Event-ID", "0"}});
  CHECK(other.read_until([](const auto&) { return false; }, std::chrono::seconds(1)).empty());
}

TEST_CASE("a client that reconnects with Last-Event-ID gets exactly what it missed", "[http][pg]") {
  HostFixture fx;
  two_step_workflow(fx);
  HttpHost http(fx);
  const auto first = http.client->post_json("/v1/workflows/pair/executions", "{}").json();
  const std::string first_id(first.at("id").as_string());
  std::int64_t last_seen = 0;
  {
    SseClient client(http.port, "/v1/stream", {{"Last-Event-ID", "0"}});
    const auto events =
        client.read_until([&](const auto& read) { return saw_completion(read, first_id); }, std::chrono::seconds(15));
    REQUIRE(saw_completion(events, first_id));
    last_seen = ids_of(events).back();
  }  // disconnected
  // While away: two more executions run to the end.
  const std::string second(http.client->post_json("/v1/workflows/pair/executions", "{}").json().at("id").as_string());
  const std::string third(http.client->post_json("/v1/workflows/pair/executions", "{}").json().at("id").as_string());
  fx.finished(second);
  fx.finished(third);
  const auto missed = stored_changes_after(fx, last_seen);
  REQUIRE(!missed.empty());

  SseClient again(http.port, "/v1/stream", {{"Last-Event-ID", std::to_string(last_seen)}});
  const auto events = again.read_until(
      [&](const auto& read) { return read.size() >= missed.size(); }, std::chrono::seconds(15));
  CHECK(ids_of(events) == missed);
}

TEST_CASE("bad stream requests get 400", "[http][pg]") {
  HostFixture fx;
  two_step_workflow(fx);
  HttpHost http(fx);
  CHECK(http.client->get("/v1/stream?colour=red").status == 400);
  CHECK(http.client->request("GET", "/v1/stream", "", {{"Last-Event-ID", "yesterday"}}).status == 400);
}

namespace {

/// The value of an unlabelled gauge in /metrics text (-1 when absent).
double gauge(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("a client that stops reading is dropped and slows no one else", "[http][pg]") {
  HostFixture fx;
  two_step_workflow(fx);
  HttpHost http(fx, {"--http-stream-buffer", "128KiB"});

  // A stalled client on a slow link: it advertises a small segment size and a small
  // window (as a client across the internet would; loopback's 64 KiB segments would
  // let the kernel absorb megabytes), asks for the stream and never reads.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket stalled(io);
  stalled.open(boost::asio::ip::tcp::v4());
  const int segment = 1000;
  REQUIRE(setsockopt(stalled.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &segment, sizeof segment) == 0);
  stalled.set_option(boost::asio::socket_base::receive_buffer_size(4096));
  stalled.connect({boost::asio::ip::make_address("127.0.0.1"), http.port});
  boost::asio::write(stalled, boost::asio::buffer(std::string("GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")));

  SseClient live(http.port, "/v1/stream?workflow=pair");
  REQUIRE(eventually([&] { return gauge(http.client->get("/metrics").body, "weft_http_streams") == 2; }));

  // Enough changes to fill the stalled client's socket and its 128 KiB buffer several times over.
  std::vector<std::string> ids;
  for (int i = 0; i < 500; ++i) {
    const auto started = http.client->post_json("/v1/workflows/pair/executions", "{}");
    REQUIRE(started.status == 201);
    ids.emplace_back(started.json().at("id").as_string());
  }
  // The reading client sees every one finish.
  std::set<std::string> pending(ids.begin(), ids.end());
  live.read_until(
      [&](const auto& events) {
        for (const auto& event : events) {
          const auto data = weft::parse_json(event.data);
          if (event.event == "execution" && data && data->at("status") == "completed")
            pending.erase(std::string(data->at("execution_id").as_string()));
        }
        return pending.empty();
      },
      std::chrono::seconds(60));
  CHECK(pending.empty());
  CHECK(gauge(http.client->get("/metrics").body, "weft_http_stream_drops") == 1);
  CHECK(!live.closed());

  // What the stalled client finally reads ends with why it was dropped, then the host closes.
  std::string received;
  boost::system::error_code ec;
  std::array<char, 65536> chunk{};
  while (!ec) received.append(chunk.data(), stalled.read_some(boost::asio::buffer(chunk), ec));
  CHECK(received.find("200 OK") != std::string::npos);
  CHECK(received.find("event: dropped\ndata: {\"reason\":\"the client fell too far behind") != std::string::npos);
  CHECK(received.size() < 500000);  // the stalled client held only its bounded share
}
