// The first-party `http` plugin against a local Beast server on 127.0.0.1:
// 2xx output, 4xx not retryable, 5xx and connection errors retryable; https://
// against the same server with a certificate made by the `openssl` command.
#include "plugins/plugin_host.hpp"
#include "support/process.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <regex>
#include <thread>

using weft::Json;
using weft::JsonObject;
using weft::plugins::ActionCall;
using weft::plugins::PluginHost;

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Answers by path: /ok 200 with JSON echoing the request, /text 200 plain text,
/// /missing 404, /broken 503, /slow after 2s. One connection at a time; over TLS
/// when given a server context (`url` then says https://).
class TestServer {
 public:
  explicit TestServer(net::ssl::context* tls = nullptr)
      : tls_(tls), acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TestServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ignored);
    thread_.join();
  }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
  }
  unsigned short port() const { return port_; }
  /// Connections whose TLS handshake failed (the client refused the certificate).
  int failed_handshakes() const { return failed_handshakes_; }

 private:
  void serve() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      if (tls_ == nullptr) {
        answer(socket);
        socket.shutdown(tcp::socket::shutdown_both, ec);
        continue;
      }
      net::ssl::stream<tcp::socket&> stream(socket, *tls_);
      stream.handshake(net::ssl::stream_base::server, ec);
      if (ec) {
        ++failed_handshakes_;
        continue;
      }
      answer(stream);
      stream.shutdown(ec);
    }
  }

  template <typename Stream>
  void answer(Stream& stream) {
    boost::system::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    http::response<http::string_body> response{http::status::ok, request.version()};
    const std::string path(request.target());
    if (path == "/ok") {
      response.set(http::field::content_type, "application/json");
      response.body() = boost::json::serialize(JsonObject{
          {"method", std::string(request.method_string())},
          {"body", request.body()},
          {"x_test", std::string(request["X-Test"])},
          {"traceparent", std::string(request["traceparent"])}});
    } else if (path == "/text") {
      response.set(http::field::content_type, "text/plain");
      response.body() = "plain words";
    } else if (path == "/missing") {
      response.result(http::status::not_found);
      response.body() = "no such thing";
    } else if (path == "/broken") {
      response.result(http::status::service_unavailable);
      response.body() = "try later";
    } else if (path == "/slow") {
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    response.prepare_payload();
    http::write(stream, response, ec);
  }

  net::ssl::context* tls_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> failed_handshakes_{0};
  std::thread thread_;
};

weft::StepOutcome request(PluginHost& host, const Json& input, const std::string& trace_id = {}) {
  ActionCall call;
  call.plugin = "http";
  call.action = "request";
  call.identity.step = "call";
  call.identity.trace_id = trace_id;
  call.input = &input;
  return host.run(call);
}

std::filesystem::path http_plugin() { return std::filesystem::path(WEFT_PLUGINS_DIR) / "libweft_http.so"; }

/// A host with the http plugin as built; `settings` are its `plugins: {http: ...}`.
struct HttpHost {
  explicit HttpHost(Json settings = nullptr) : host(JsonObject{{"http", std::move(settings)}}) {
    REQUIRE_FALSE(host.load(http_plugin()).has_value());
  }
  PluginHost host;
};

/// A TLS server context presenting a self-signed certificate (`dir`/cert.pem) that
/// the `openssl` command makes for `name` (its CN and DNS name, plus IP 127.0.0.1).
net::ssl::context self_signed(const weft::test::TempDir& dir, const std::string& name) {
  const auto cert = dir.path() / "cert.pem", key = dir.path() / "key.pem";
  const auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + name +
                       " -addext subjectAltName=DNS:" + name + ",IP:127.0.0.1 -keyout '" + key.string() + "' -out '" +
                       cert.string() + "' 2>/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  net::ssl::context context(net::ssl::context::tls_server);
  context.use_certificate_chain_file(cert.string());
  context.use_private_key_file(key.string(), net::ssl::context::pem);
  return context;
}

/// A TestServer over TLS with a fresh self-signed certificate for `name`.
struct HttpsServer {
  explicit HttpsServer(const std::string& name) : tls(self_signed(dir, name)), server(&tls) {}
  /// The http plugin's settings trusting this server's certificate.
  Json trusted() const { return JsonObject{{"ca_file", (dir.path() / "cert.pem").string()}}; }

  weft::test::TempDir dir;
  net::ssl::context tls;
  TestServer server;
};

/// `outcome` failed on the server's certificate (OpenSSL's `reason`), not to be retried,
/// and the server saw the client end the handshake.
void check_certificate_refused(const weft::StepOutcome& outcome, const TestServer& server, const std::string& reason) {
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "tls_verification_failed");
  CHECK_FALSE(outcome.error().retryable);
  CHECK_THAT(outcome.error().message,
             Catch::Contains("localhost:" + std::to_string(server.port())) && Catch::Contains(reason));
  CHECK(weft::test::eventually([&] { return server.failed_handshakes() == 1; }, std::chrono::seconds(5)));
}

}  // namespace

TEST_CASE("http.request returns status, headers and a JSON body parsed", "[plugin][http]") {
  HttpHost http;
  TestServer server;
  const auto outcome = request(http.host, JsonObject{{"method", "post"},
                                                       {"url", server.url("/ok")},
                                                       {"headers", JsonObject{{"X-Test", "yes"}}},
                                                       {"body", JsonObject{{"amount", 5}}}});
  REQUIRE(outcome.ok());
  const auto& output = outcome.output().as_object();
  CHECK(output.at("status") == 200);
  CHECK(output.at("headers").at("content-type") == "application/json");
  CHECK(output.at("body").at("method") == "POST");
  CHECK(output.at("body").at("body") == R"({"amount":5})");
  CHECK(output.at("body").at("x_test") == "yes");

  const auto text = request(http.host, JsonObject{{"url", server.url("/text")}});
  REQUIRE(text.ok());
  CHECK(text.output().at("body") == "plain words");
}

TEST_CASE("http.request: a 4xx fails without retrying and a 5xx is retried", "[plugin][http]") {
  HttpHost http;
  TestServer server;
  const auto missing = request(http.host, JsonObject{{"url", server.url("/missing")}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "http_404");
  CHECK_FALSE(missing.error().retryable);
  CHECK(missing.error().details.at("body") == "no such thing");

  const auto broken = request(http.host, JsonObject{{"url", server.url("/broken")}});
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == "http_503");
  CHECK(broken.error().retryable);
}

TEST_CASE("http.request: connection refused and timeouts are retryable", "[plugin][http]") {
  HttpHost http;
  unsigned short closed_port = 0;
  {
    net::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  const auto refused =
      request(http.host, JsonObject{{"url", "http://127.0.0.1:" + std::to_string(closed_port) + "/"}});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "connection");
  CHECK(refused.error().retryable);

  TestServer server;
  const auto started = std::chrono::steady_clock::now();
  const auto slow = request(http.host, JsonObject{{"url", server.url("/slow")}, {"timeout", "200ms"}});
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().code == "timeout");
  CHECK(slow.error().retryable);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));
}

TEST_CASE("http.request refuses bad input without retrying", "[plugin][http]") {
  HttpHost http;
  const auto ftp = request(http.host, JsonObject{{"url", "ftp://example.com/"}});
  REQUIRE_FALSE(ftp.ok());
  CHECK(ftp.error().code == "invalid_input");
  CHECK_FALSE(ftp.error().retryable);
  const auto no_url = request(http.host, JsonObject{{"method", "GET"}});
  REQUIRE_FALSE(no_url.ok());
  CHECK(no_url.error().code == "invalid_input");
  CHECK_FALSE(no_url.error().retryable);
  const auto bad_method = request(http.host, JsonObject{{"url", "http://127.0.0.1:1/"}, {"method", "FETCH"}});
  REQUIRE_FALSE(bad_method.ok());
  CHECK(bad_method.error().code == "invalid_input");
}

TEST_CASE("http.request calls https:// trusting the ca_file setting, and http:// as before", "[plugin][http][tls]") {
  HttpsServer https("localhost");
  const auto& server = https.server;
  HttpHost http(https.trusted());

  const auto by_name = request(http.host, JsonObject{{"method", "post"},
                                                       {"url", server.url("/ok", "localhost")},
                                                       {"body", JsonObject{{"amount", 5}}}});
  REQUIRE(by_name.ok());
  CHECK(by_name.output().at("status") == 200);
  CHECK(by_name.output().at("body").at("method") == "POST");
  CHECK(by_name.output().at("body").at("body") == R"({"amount":5})");
  // An IP address is checked against the certificate's IP names (and sent without SNI).
  const auto by_address = request(http.host, JsonObject{{"url", server.url("/text")}});
  REQUIRE(by_address.ok());
  CHECK(by_address.output().at("body") == "plain words");
  CHECK(server.failed_handshakes() == 0);

  TestServer plain;
  const auto over_http = request(http.host, JsonObject{{"url", plain.url("/text")}});
  REQUIRE(over_http.ok());
  CHECK(over_http.output().at("body") == "plain words");
}

TEST_CASE("http.request: without ca_file the system store refuses a self-signed certificate", "[plugin][http][tls]") {
  HttpsServer https("localhost");
  HttpHost http;
  check_certificate_refused(request(http.host, JsonObject{{"url", https.server.url("/ok", "localhost")}}),
                            https.server, "self-signed certificate");
}

TEST_CASE("http.request: a certificate for another host name is refused", "[plugin][http][tls]") {
  HttpsServer https("other.example");
  HttpHost http(https.trusted());
  check_certificate_refused(request(http.host, JsonObject{{"url", https.server.url("/ok", "localhost")}}),
                            https.server, "hostname mismatch");
  // The same certificate is trusted for the address it names.
  CHECK(request(http.host, JsonObject{{"url", https.server.url("/text")}}).ok());
}

TEST_CASE("http.request: TLS handshake failures other than the certificate are retryable", "[plugin][http][tls]") {
  HttpHost http;
  SECTION("a server that does not speak TLS") {
    TestServer plain;
    const auto failed =
        request(http.host, JsonObject{{"url", "https://127.0.0.1:" + std::to_string(plain.port()) + "/ok"}});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == "connection");
    CHECK(failed.error().retryable);
    CHECK_THAT(failed.error().message, Catch::Contains("negotiating TLS"));
  }
  SECTION("a server that never answers the handshake times out") {
    net::io_context io;
    tcp::acceptor silent(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));  // listens, never accepts
    const auto started = std::chrono::steady_clock::now();
    const auto slow = request(
        http.host, JsonObject{{"url", "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/"},
                              {"timeout", "200ms"}});
    REQUIRE_FALSE(slow.ok());
    CHECK(slow.error().code == "timeout");
    CHECK(slow.error().retryable);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));
  }
}

TEST_CASE("http plugin: a ca_file that cannot be loaded refuses the plugin", "[plugin][http][tls]") {
  weft::test::TempDir dir;
  PluginHost missing(JsonObject{{"http", JsonObject{{"ca_file", (dir.path() / "missing.pem").string()}}}});
  const auto refused = missing.load(http_plugin());
  REQUIRE(refused.has_value());
  CHECK_THAT(*refused, Catch::Contains("ca_file"));

  PluginHost not_pem(JsonObject{{"http", JsonObject{{"ca_file", dir.write("empty.pem", "no certificate").string()}}}});
  CHECK(not_pem.load(http_plugin()).has_value());
}

TEST_CASE("http.request sends the step's trace id as traceparent unless the input sets one", "[plugin][http]") {
  HttpHost http;
  TestServer server;
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const auto traced = request(http.host, JsonObject{{"url", server.url("/ok")}}, trace_id);
  REQUIRE(traced.ok());
  const std::string sent(traced.output().at("body").at("traceparent").as_string());
  CHECK(std::regex_match(sent, std::regex("00-" + trace_id + "-[0-9a-f]{16}-01")));
  CHECK(sent.substr(36, 16) != "0000000000000000");

  const std::string own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const auto kept = request(http.host, JsonObject{{"url", server.url("/ok")}, {"headers", JsonObject{{"TraceParent", own}}}},
                            trace_id);
  REQUIRE(kept.ok());
  CHECK(kept.output().at("body").at("traceparent") == own.c_str());

  const auto untraced = request(http.host, JsonObject{{"url", server.url("/ok")}});
  REQUIRE(untraced.ok());
  CHECK(untraced.output().at("body").at("traceparent") == "");
}
