// What a hostile or careless client meets: a token beyond loopback, malformed
// requests, floods, slow clients; /metrics read by promtool; HTTPS.
#include "http_fixture.hpp"

#include <boost/asio.hpp>
#include <pqxx/pqxx>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <thread>

using weft::test::eventually;
using weft::test::HostFixture;
using weft::test::HttpClient;
using weft::test::HttpHost;

namespace {

void trivial_workflow(HostFixture& fx) {
  fx.workflow("trivial.yaml", "id: trivial\non: [ { type: poke } ]\nsteps:\n  - id: one\n    lua: one.lua\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
}

int shell(const std::string& command) { return std::system(command.c_str()); }

}  // namespace

TEST_CASE("beyond loopback the host needs a token, and every request must carry it", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  const auto refused = fx.weft({"serve", "--workflows", fx.workflows(), "--http", "0.0.0.0:0"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("WEFT_API_TOKEN") != std::string::npos);

  HttpHost http(fx, {}, {"WEFT_API_TOKEN=s3cret-token"});
  // Loopback with a token set: the token is still required (tested through 127.0.0.1 only).
  auto& client = *http.client;
  const auto none = client.get("/v1/executions");
  CHECK(none.status == 401);
  CHECK(none.error_code() == "unauthorized");
  CHECK(client.request("GET", "/v1/executions", "", {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(client.request("GET", "/v1/executions", "", {{"Authorization", "Basic s3cret-token"}}).status == 401);
  CHECK(client.request("GET", "/v1/executions", "", {{"Authorization", "Bearer s3cret-token"}}).status == 200);
  CHECK(client.request("GET", "/metrics", "", {{"Authorization", "Bearer s3cret-token"}}).status == 200);
  // The token never reaches the log.
  CHECK(http.host->log().find("s3cret-token") == std::string::npos);
}

TEST_CASE("bad serving flags get one clear error each and start nothing", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--http", "127.0.0.1:99999"}, "--http: the port must be a number from 0 to 65535"},
      {{"--http", "127.0.0.1:0", "--http-max-body", "lots"}, "--http-max-body: expected a size"},
      {{"--http", "127.0.0.1:0", "--http-stream-buffer", "0"}, "--http-stream-buffer: expected a size"},
      {{"--http", "127.0.0.1:0", "--tls-cert", "cert.pem"}, "--tls-cert and --tls-key go together"},
      {{"--otlp", "https://collector:4318"}, "--otlp: expected http://HOST:PORT[/PATH]"},
      {{"--otlp", "http://collector:99999/v1/traces"}, "--otlp: the port must be from 1 to 65535"},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args = {"serve", "--workflows", fx.workflows(), "--db", fx.url()};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto result = fx.weft(args);
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(message) != std::string::npos);
  }
  // Nothing started: no host registered.
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM weft.hosts")[0].as<long long>() == 0);
}

TEST_CASE("the beyond-loopback listener starts with a token", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  std::vector<std::string> args = {"serve", "--workflows", fx.workflows(), "--db", fx.url(), "--http", "0.0.0.0:0"};
  weft::test::HostProcess host(args, fx.dir().path() / "any.log", {"WEFT_API_TOKEN=t0ken"});
  const auto port = weft::test::wait_for_http_port(host);
  HttpClient client("127.0.0.1", port);
  CHECK(client.get("/healthz").status == 401);
  CHECK(client.request("GET", "/healthz", "", {{"Authorization", "Bearer t0ken"}}).status == 200);
}

TEST_CASE("malformed, unknown and oversized requests get one clear 4xx each", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  const auto unknown = client.get("/v1/nothing-here");
  CHECK(unknown.status == 404);
  CHECK(unknown.error_code() == "not_found");
  const auto method = client.request("DELETE", "/v1/executions");
  CHECK(method.status == 405);
  CHECK(method.header("allow").find("GET") != std::string::npos);
  CHECK(client.post_json("/v1/workflows/trivial/executions", "[1,2").status == 400);

  // Not HTTP at all, a header flood, a bad escape in the path.
  CHECK(weft::test::raw_exchange(http.port, "HELLO THERE\r\n\r\n").find("400") != std::string::npos);
  std::string flood = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) flood += "X-Flood-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
  flood += "\r\n";
  CHECK(weft::test::raw_exchange(http.port, flood).find("431") != std::string::npos);
  CHECK(weft::test::raw_exchange(http.port, "GET /v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n").find("400") != std::string::npos);

  // A slow client (headers never finished) holds nothing: others are served at once,
  // and it is cut off after the read timeout.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket slow(io);
  slow.connect({boost::asio::ip::make_address("127.0.0.1"), http.port});
  boost::asio::write(slow, boost::asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")));
  const auto before = std::chrono::steady_clock::now();
  CHECK(client.get("/healthz").status == 200);
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(2));
  char byte = 0;
  boost::system::error_code ec;
  slow.read_some(boost::asio::buffer(&byte, 1), ec);  // blocks until the host closes it (10 s)
  CHECK(ec == boost::asio::error::eof);
  CHECK(client.get("/healthz").status == 200);
}

TEST_CASE("/metrics passes promtool and carries the engine's families", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  REQUIRE(client.post_json("/v1/events", R"({"specversion":"1.0","id":"m-1","source":"t","type":"poke"})").status == 202);
  REQUIRE(eventually([&] {
    return client.get("/metrics").body.find(R"(weft_executions_finished_total{workflow="trivial",status="completed"} 1)") !=
           std::string::npos;
  }));
  const auto metrics = client.get("/metrics");
  CHECK(metrics.header("content-type").find("text/plain; version=0.0.4") == 0);
  for (const char* family : {"weft_step_attempts_total", "weft_step_duration_seconds_bucket", "weft_checkpoint_duration_seconds",
                             "weft_backlog_executions", "weft_dead_letters", "weft_db_pool_connections",
                             "weft_http_connections", "weft_database_up 1"}) {
    INFO(family);
    CHECK(metrics.body.find(family) != std::string::npos);
  }
  // No execution id is ever a label value.
  CHECK(metrics.body.find("execution_id") == std::string::npos);
  const auto file = fx.dir().write("metrics.txt", metrics.body);
  REQUIRE(shell("command -v promtool >/dev/null") == 0);
  CHECK(shell("promtool check metrics < " + file.string() + " >/dev/null 2>&1") == 0);
}

namespace {

/// A TCP port nothing listens on now (for a server that needs one named up front).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::string percent_encoded(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// The value of an instant query's only sample, or "" while there is none.
std::string instant_value(HttpClient& prometheus, const std::string& query) {
  const auto answer = prometheus.get("/api/v1/query?query=" + percent_encoded(query)).json();
  if (!answer.is_object() || answer.at("status") != "success") return "";
  const auto& result = answer.at("data").at("result").as_array();
  return result.size() == 1 ? std::string(result[0].at("value").as_array()[1].as_string()) : "";
}

}  // namespace

TEST_CASE("a real Prometheus scrapes the host with its token", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  HttpHost http(fx, {}, {"WEFT_API_TOKEN=scrape-t0ken"});
  HttpClient& client = *http.client;
  REQUIRE(client.request("POST", "/v1/events", R"({"specversion":"1.0","id":"p-1","source":"t","type":"poke"})",
                         {{"Content-Type", "application/cloudevents+json"}, {"Authorization", "Bearer scrape-t0ken"}})
              .status == 202);

  const auto port = free_port();
  const auto config = fx.dir().write("prometheus.yml", R"(global: { scrape_interval: 1s }
scrape_configs:
  - job_name: weft
    authorization: { credentials: scrape-t0ken }
    static_configs: [ { targets: ["127.0.0.1:)" + std::to_string(http.port) + R"("] } ]
  - job_name: no-token
    static_configs: [ { targets: ["127.0.0.1:)" + std::to_string(http.port) + R"("] } ]
)");
  REQUIRE(shell("command -v prometheus >/dev/null") == 0);
  weft::test::HostProcess prometheus_server(
      "/usr/bin/prometheus",
      {"--config.file=" + config.string(), "--storage.tsdb.path=" + (fx.dir().path() / "tsdb").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      fx.dir().path() / "prometheus.log");
  HttpClient prometheus("127.0.0.1", port);
  const auto ask = [&](const std::string& query) {
    try {
      return instant_value(prometheus, query);
    } catch (const std::exception&) {
      return std::string();  // not listening yet
    }
  };
  INFO(prometheus_server.log());
  // Scraped with the token; refused without it (the scrape fails, so `up` is 0).
  CHECK(eventually([&] { return ask(R"(up{job="weft"})") == "1"; }, std::chrono::seconds(30)));
  CHECK(eventually([&] { return ask(R"(up{job="no-token"})") == "0"; }, std::chrono::seconds(30)));
  // Prometheus parsed the families: counters, histograms and gauges by their labels.
  CHECK(eventually([&] {
    return ask(R"(weft_executions_finished_total{workflow="trivial",status="completed"})") == "1";
  }));
  CHECK(ask(R"(weft_step_duration_seconds_count{workflow="trivial",step="one"})") == "1");
  CHECK(ask(R"(weft_database_up)") == "1");
  CHECK(ask(R"(histogram_quantile(0.99, sum by (le) (weft_step_duration_seconds_bucket)) > 0)") != "");
}

TEST_CASE("HTTPS with a certificate the client verifies", "[http][pg]") {
  HostFixture fx;
  trivial_workflow(fx);
  const auto dir = fx.dir().path();
  const auto cert = (dir / "cert.pem").string();
  const auto key = (dir / "key.pem").string();
  REQUIRE(shell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
                "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1") == 0);
  HttpHost http(fx, {"--tls-cert", cert, "--tls-key", key});
  HttpClient secure("127.0.0.1", http.port, HttpClient::Options{true, cert, "localhost"});
  CHECK(secure.get("/healthz").status == 200);
  // Plain HTTP to the TLS port gets no answer; an unknown certificate is refused by the client.
  CHECK(weft::test::raw_exchange(http.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").find("200") == std::string::npos);
  HttpClient untrusting("127.0.0.1", http.port, HttpClient::Options{true, "", "localhost"});
  CHECK_THROWS(untrusting.get("/healthz"));

  // A key that does not match is refused at start with a clear message.
  const auto other_key = (dir / "other.pem").string();
  REQUIRE(shell("openssl genrsa -out " + other_key + " 2048 >/dev/null 2>&1") == 0);
  const auto refused = fx.weft({"serve", "--workflows", fx.workflows(), "--http", "127.0.0.1:0", "--tls-cert", cert,
                                "--tls-key", other_key});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("--tls-key") != std::string::npos);
}
