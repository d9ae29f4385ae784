// metrics::Registry: the exact exposition text, escaping, name checks, the
// bound on series per family, on_collect, and counting from many threads.
#include "metrics/registry.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

using weft::metrics::Registry;

TEST_CASE("a small registry renders exactly, families sorted by name", "[metrics]") {
  Registry registry;
  auto& requests = registry.counter("http_requests_total", "Requests served.", {"method", "code"});
  requests.labels({"post", "500"}).inc();
  requests.labels({"get", "200"}).inc(3);
  registry.gauge("temperature_celsius", "Current temperature.").labels().set(21.5);
  auto& latency = registry.histogram("latency_seconds", "Latency.", {"route"}, {0.125, 1});
  auto& route = latency.labels({"/a"});
  route.observe(0.0625);
  route.observe(0.5);
  route.observe(3);
  route.observe(1);  // bounds are inclusive
  registry.counter("events_total", "Events.");  // unlabelled: shown as 0 before any use

  CHECK(registry.render() ==
        "# HELP events_total Events.\n"
        "# TYPE events_total counter\n"
        "events_total 0\n"
        "# HELP http_requests_total Requests served.\n"
        "# TYPE http_requests_total counter\n"
        "http_requests_total{method=\"get\",code=\"200\"} 3\n"
        "http_requests_total{method=\"post\",code=\"500\"} 1\n"
        "# HELP latency_seconds Latency.\n"
        "# TYPE latency_seconds histogram\n"
        "latency_seconds_bucket{route=\"/a\",le=\"0.125\"} 1\n"
        "latency_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
        "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
        "latency_seconds_sum{route=\"/a\"} 4.5625\n"
        "latency_seconds_count{route=\"/a\"} 4\n"
        "# HELP temperature_celsius Current temperature.\n"
        "# TYPE temperature_celsius gauge\n"
        "temperature_celsius 21.5\n");
}

TEST_CASE("an unlabelled histogram has only le on its buckets", "[metrics]") {
  Registry registry;
  auto& histogram = registry.histogram("wait_seconds", "Waits.", {}, {0.001, 0.01}).labels();
  histogram.observe(0.005);
  CHECK(registry.render() ==
        "# HELP wait_seconds Waits.\n"
        "# TYPE wait_seconds histogram\n"
        "wait_seconds_bucket{le=\"0.001\"} 0\n"
        "wait_seconds_bucket{le=\"0.01\"} 1\n"
        "wait_seconds_bucket{le=\"+Inf\"} 1\n"
        "wait_seconds_sum 0.005\n"
        "wait_seconds_count 1\n");
}

TEST_CASE("label values escape backslash, double quote and newline, help escapes backslash and newline",
          "[metrics]") {
  Registry registry;
  registry.counter("escaped_total", "A \\ in\nhelp \"quoted\".", {"value"}).labels({"a\\b\"c\nd"}).inc();
  CHECK(registry.render() ==
        "# HELP escaped_total A \\\\ in\\nhelp \"quoted\".\n"
        "# TYPE escaped_total counter\n"
        "escaped_total{value=\"a\\\\b\\\"c\\nd\"} 1\n");
  CHECK(weft::metrics::escape_label_value("plain") == "plain");
  CHECK(weft::metrics::escape_label_value("\\\"\n") == "\\\\\\\"\\n");
}

TEST_CASE("sample values read back exactly", "[metrics]") {
  using weft::metrics::format_value;
  CHECK(format_value(0) == "0");
  CHECK(format_value(60) == "60");
  CHECK(format_value(0.0005) == "0.0005");
  CHECK(format_value(-2.5) == "-2.5");
  CHECK(format_value(1e-05) == "1e-05");
  CHECK(format_value(1e21) == "1e+21");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("a family keeps at most max_series series, the rest share the _overflow series", "[metrics]") {
  Registry registry(2);
  auto& family = registry.counter("keys_total", "Keys.", {"key", "kind"});
  auto& a = family.labels({"a", "x"});
  family.labels({"b", "x"}).inc();
  auto& c = family.labels({"c", "x"});
  auto& d = family.labels({"d", "y"});
  CHECK(&c == &d);
  CHECK(&family.labels({"a", "x"}) == &a);  // known series stay reachable
  a.inc();
  c.inc(2);
  d.inc(3);
  for (int i = 0; i < 10000; ++i) family.labels({"id-" + std::to_string(i), "x"}).inc();
  CHECK(registry.render() ==
        "# HELP keys_total Keys.\n"
        "# TYPE keys_total counter\n"
        "keys_total{key=\"_overflow\",kind=\"_overflow\"} 10005\n"
        "keys_total{key=\"a\",kind=\"x\"} 1\n"
        "keys_total{key=\"b\",kind=\"x\"} 1\n");
}

TEST_CASE("names are checked when a family is registered", "[metrics]") {
  Registry registry;
  CHECK_THROWS_AS(registry.counter("", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("1st_total", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("a-b_total", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge("a b", "h"), std::invalid_argument);
  CHECK_NOTHROW(registry.gauge("ns:sub_metric", "h"));
  CHECK_NOTHROW(registry.gauge("_private", "h"));
  CHECK_THROWS_AS(registry.counter("c_total", "h", {"a:b"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("c_total", "h", {"9a"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("c_total", "h", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("c_total", "h", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h_seconds", "h", {"le"}, {1}), std::invalid_argument);
  CHECK_NOTHROW(registry.counter("c_total", "h", {"le", "_x9"}));  // le is only reserved on histograms
}

TEST_CASE("buckets must be finite and strictly increasing, a trailing +Inf is dropped", "[metrics]") {
  Registry registry;
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(registry.histogram("a_seconds", "h", {}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("a_seconds", "h", {}, {2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("a_seconds", "h", {}, {std::numeric_limits<double>::quiet_NaN()}),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("a_seconds", "h", {}, {-inf, 1}), std::invalid_argument);
  CHECK(registry.histogram("a_seconds", "h", {}, {1, inf}).bounds() == std::vector<double>{1});
  auto& only_inf = registry.histogram("b_seconds", "h", {}, {}).labels();
  only_inf.observe(7);
  only_inf.observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  const auto text = registry.render();
  CHECK(text.find("b_seconds_bucket{le=\"+Inf\"} 1\nb_seconds_sum 7\nb_seconds_count 1\n") != std::string::npos);
}

TEST_CASE("registering a family again returns it, a different one under the same name is refused", "[metrics]") {
  Registry registry;
  auto& first = registry.counter("x_total", "h", {"a"});
  CHECK(&registry.counter("x_total", "other help", {"a"}) == &first);
  CHECK_THROWS_AS(registry.counter("x_total", "h", {"b"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge("x_total", "h", {"a"}), std::invalid_argument);
  auto& histogram = registry.histogram("y_seconds", "h", {}, {1, 2});
  CHECK(&registry.histogram("y_seconds", "h", {}, {1, 2}) == &histogram);
  CHECK_THROWS_AS(registry.histogram("y_seconds", "h", {}, {1, 3}), std::invalid_argument);
}

TEST_CASE("the wrong number of label values is refused", "[metrics]") {
  Registry registry;
  auto& family = registry.counter("x_total", "h", {"a", "b"});
  CHECK_THROWS_AS(family.labels({"1"}), std::invalid_argument);
  CHECK_THROWS_AS(family.labels(), std::invalid_argument);
  CHECK_THROWS_AS(family.labels({"1", "2", "3"}), std::invalid_argument);
}

TEST_CASE("gauges go up, down and are set", "[metrics]") {
  Registry registry;
  auto& gauge = registry.gauge("g", "h").labels();
  gauge.inc();
  gauge.inc(2.5);
  gauge.dec();
  CHECK(gauge.value() == 2.5);
  gauge.set(-4);
  CHECK(registry.render() == "# HELP g h\n# TYPE g gauge\ng -4\n");
}

TEST_CASE("on_collect callbacks run before each render until their Collector is gone", "[metrics]") {
  Registry registry;
  auto& gauge = registry.gauge("refreshed", "h").labels();
  int calls = 0;
  {
    auto collector = registry.on_collect([&] {
      ++calls;
      gauge.set(calls);
    });
    CHECK(registry.render().find("refreshed 1\n") != std::string::npos);
    CHECK(registry.render().find("refreshed 2\n") != std::string::npos);
    auto moved = std::move(collector);
    CHECK(registry.render().find("refreshed 3\n") != std::string::npos);
  }
  CHECK(registry.render().find("refreshed 3\n") != std::string::npos);
  CHECK(calls == 3);

  auto throwing = registry.on_collect([] { throw std::runtime_error("ignored"); });
  CHECK_NOTHROW(registry.render());

  // A collector may outlive its registry.
  auto orphan = std::make_unique<Registry>();
  auto late = orphan->on_collect([] {});
  orphan.reset();
  late.reset();
}

TEST_CASE("counting from many threads loses nothing", "[metrics]") {
  Registry registry;
  auto& counter = registry.counter("c_total", "h", {"t"});
  auto& histogram = registry.histogram("d_seconds", "h", {}, {0.5}).labels();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = counter.labels({t % 2 == 0 ? "even" : "odd"});
      for (int i = 0; i < 50000; ++i) {
        mine.inc();
        histogram.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (int i = 0; i < 100; ++i) registry.render();  // rendering meanwhile is safe
  for (auto& thread : threads) thread.join();
  CHECK(counter.labels({"even"}).value() == 100000);
  CHECK(counter.labels({"odd"}).value() == 100000);
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.cumulative == std::vector<std::uint64_t>{100000, 200000});
  CHECK(snapshot.sum == 125000.0);
}
