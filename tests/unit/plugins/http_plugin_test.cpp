// The first-party `http` plugin against a local Beast server on 127.0.0.1:
// 2xx output, 4xx not retryable, 5xx and connection errors retryable.
#include "plugins/plugin_host.hpp"
#include "support/process.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <atomic>
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
/// /missing 404, /broken 503, /slow after 2s. One connection at a time.
class TestServer {
 public:
  TestServer() : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
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
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  void serve() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      http::response<http::string_body> response{http::status::ok, request.version()};
      const std::string path(request.target());
      if (path == "/ok") {
        response.set(http::field::content_type, "application/json");
        response.body() = boost::json::serialize(JsonObject{
            {"method", std::string(request.method_string())},
            {"body", request.body()},
            {"x_test", std::string(request["X-Test"])}});
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
      http::write(socket, response, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

weft::StepOutcome request(PluginHost& host, const Json& input) {
  ActionCall call;
  call.plugin = "http";
  call.action = "request";
  call.identity.step = "call";
  call.input = &input;
  return host.run(call);
}

/// A host with the http plugin as built.
struct HttpHost {
  HttpHost() { REQUIRE_FALSE(host.load(std::filesystem::path(WEFT_PLUGINS_DIR) / "libweft_http.so").has_value()); }
  PluginHost host;
};

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

TEST_CASE("http.request refuses https and bad input without retrying", "[plugin][http]") {
  HttpHost http;
  const auto https = request(http.host, JsonObject{{"url", "https://example.com/"}});
  REQUIRE_FALSE(https.ok());
  CHECK(https.error().code == "unsupported_scheme");
  CHECK_FALSE(https.error().retryable);
  const auto no_url = request(http.host, JsonObject{{"method", "GET"}});
  REQUIRE_FALSE(no_url.ok());
  CHECK(no_url.error().code == "invalid_input");
  CHECK_FALSE(no_url.error().retryable);
  const auto bad_method = request(http.host, JsonObject{{"url", "http://127.0.0.1:1/"}, {"method", "FETCH"}});
  REQUIRE_FALSE(bad_method.ok());
  CHECK(bad_method.error().code == "invalid_input");
}
