// weft serve --otlp against a small OTLP/HTTP receiver started by the test: the
// spans of a saga run share the producer's trace, hang under the producer's
// span, and name what ran; a collector that is down costs a counter, nothing else.
#include "../http/http_fixture.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using weft::test::eventually;
using weft::test::HostFixture;
using weft::test::HttpHost;

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

/// Accepts OTLP/HTTP JSON exports on loopback and keeps every span.
class OtlpReceiver {
 public:
  OtlpReceiver() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~OtlpReceiver() {
    // A blocked accept() is not woken by closing the socket: a last connection wakes it.
    stopping_ = true;
    beast::error_code ignored;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1/traces"; }
  std::vector<weft::Json> spans() {
    std::lock_guard lock(mutex_);
    return spans_;
  }

 private:
  void serve() {
    for (;;) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      beast::flat_buffer buffer;
      for (;;) {
        bhttp::request<bhttp::string_body> request;
        bhttp::read(socket, buffer, request, ec);
        if (ec) break;
        keep(request);
        bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
        response.set(bhttp::field::content_type, "application/json");
        response.body() = "{}";
        response.prepare_payload();
        bhttp::write(socket, response, ec);
        if (ec) break;
      }
    }
  }

  void keep(const bhttp::request<bhttp::string_body>& request) {
    const auto body = weft::parse_json(request.body());
    if (!body || request.target() != "/v1/traces" || request[bhttp::field::content_type] != "application/json") return;
    std::lock_guard lock(mutex_);
    for (const auto& resource : body->at("resourceSpans").as_array())
      for (const auto& scope : resource.at("scopeSpans").as_array())
        for (const auto& span : scope.at("spans").as_array()) spans_.push_back(span);
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<weft::Json> spans_;
  std::thread thread_;
};

std::string attribute(const weft::Json& span, const std::string& key) {
  for (const auto& entry : span.at("attributes").as_array()) {
    if (entry.at("key") != key.c_str()) continue;
    const auto& value = entry.at("value").as_object();
    if (const auto* text = value.if_contains("stringValue")) return std::string(text->as_string());
    if (const auto* number = value.if_contains("intValue")) return std::string(number->as_string());
    if (const auto* flag = value.if_contains("boolValue")) return flag->as_bool() ? "true" : "false";
  }
  return "";
}

std::string field(const weft::Json& span, const char* name) {
  const auto* value = span.as_object().if_contains(name);
  return value && value->is_string() ? std::string(value->as_string()) : "";
}

void saga_workflow(HostFixture& fx) {
  fx.workflow("saga.yaml", R"(
id: saga
on: [ { type: order.placed } ]
on_failure: compensate
steps:
  - id: reserve
    lua: ok.lua
    compensate: { lua: ok.lua }
  - id: charge
    lua: ok.lua
    compensate: { lua: ok.lua }
  - id: ship
    lua: refuse.lua
)");
  fx.script("ok.lua", "return function(ctx, input) return { ok = true } end\n");
  fx.script("refuse.lua", "return function(ctx, input) weft.fail('no_courier', 'no courier today') end\n");
}

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kProducerSpan = "00f067aa0ba902b7";

}  // namespace

TEST_CASE("the spans of a saga run hang under the producer's span in one trace", "[tracing][pg]") {
  HostFixture fx;
  saga_workflow(fx);
  OtlpReceiver collector;
  HttpHost http(fx, {"--otlp", collector.url()});
  const std::string event = std::string(R"({"specversion":"1.0","id":"o-1","source":"shop","type":"order.placed",)") +
                            R"("traceparent":"00-)" + kTrace + "-" + kProducerSpan + R"(-01","data":{}})";
  REQUIRE(http.client->post_json("/v1/events", event).status == 202);

  // The execution's span, and one per attempt: three steps and two compensations.
  std::vector<weft::Json> spans;
  REQUIRE(eventually([&] {
    spans = collector.spans();
    return spans.size() >= 6;
  }));
  std::map<std::string, weft::Json> by_name;
  for (const auto& span : spans) by_name[field(span, "name")] = span;
  for (const char* name : {"workflow saga", "step reserve", "step charge", "step ship", "compensate charge",
                           "compensate reserve"}) {
    INFO(name);
    REQUIRE(by_name.count(name) == 1);
  }
  // One trace, the producer's.
  for (const auto& span : spans) CHECK(field(span, "traceId") == kTrace);
  // The execution's span is the producer span's child; every attempt is the execution span's.
  const auto& execution = by_name["workflow saga"];
  CHECK(field(execution, "parentSpanId") == kProducerSpan);
  const auto execution_span = field(execution, "spanId");
  CHECK(execution_span.size() == 16);
  std::set<std::string> ids;
  for (const auto& span : spans) {
    ids.insert(field(span, "spanId"));
    if (&span != &execution && field(span, "name") != "workflow saga") CHECK(field(span, "parentSpanId") == execution_span);
  }
  CHECK(ids.size() == spans.size());  // each span reported once
  // What ran, and how it ended.
  CHECK(attribute(execution, "weft.workflow") == "saga");
  CHECK(attribute(execution, "weft.status") == "compensated");
  CHECK(execution.at("status").at("code") == 2);
  const auto& ship = by_name["step ship"];
  CHECK(attribute(ship, "weft.step") == "ship");
  CHECK(attribute(ship, "weft.attempt") == "1");
  CHECK(attribute(ship, "weft.outcome") == "failed");
  CHECK(attribute(ship, "weft.error.code") == "no_courier");
  CHECK(ship.at("status").at("message") == "no courier today");
  CHECK(attribute(by_name["step reserve"], "weft.outcome") == "completed");
  CHECK(attribute(by_name["compensate reserve"], "weft.compensation") == "true");
  CHECK(attribute(by_name["compensate reserve"], "weft.step") == "compensate:reserve");
  // Compensations ran in reverse order, after the failure, within the execution's span.
  const auto start = [&](const char* name) { return std::stoll(field(by_name[name], "startTimeUnixNano")); };
  const auto end = [&](const char* name) { return std::stoll(field(by_name[name], "endTimeUnixNano")); };
  CHECK(start("compensate charge") <= start("compensate reserve"));
  CHECK(start("compensate charge") >= end("step ship"));
  CHECK(start("workflow saga") <= start("step reserve"));
  CHECK(end("workflow saga") >= end("compensate reserve"));
}

TEST_CASE("a collector that is down costs a counter and nothing else", "[tracing][pg]") {
  HostFixture fx;
  saga_workflow(fx);
  // A port nothing listens on.
  std::string url;
  {
    OtlpReceiver gone;
    url = gone.url();
  }
  HttpHost http(fx, {"--otlp", url});
  for (int i = 0; i < 3; ++i) {
    const auto event = R"({"specversion":"1.0","id":"d-)" + std::to_string(i) +
                       R"(","source":"shop","type":"order.placed","data":{}})";
    REQUIRE(http.client->post_json("/v1/events", event).status == 202);
  }
  CHECK(eventually([&] {
    const auto body = http.client->get("/v1/executions?status=compensated").json();
    return body.at("executions").as_array().size() == 3;
  }));
  const auto failed_exports = [&] {
    const auto metrics = http.client->get("/metrics").body;
    const std::string name = "\nweft_otlp_export_failures ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? 0.0 : std::stod(metrics.substr(at + name.size()));
  };
  CHECK(eventually([&] { return failed_exports() >= 1; }, std::chrono::seconds(10)));
  const auto metrics = http.client->get("/metrics").body;
  CHECK(metrics.find("\nweft_otlp_spans_exported 0") != std::string::npos);
  CHECK(http.host->running());
}
