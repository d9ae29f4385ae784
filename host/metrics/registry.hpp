// Prometheus metrics: counters, gauges and histograms in families with
// labels, rendered in the text exposition format 0.0.4. Depends on nothing of
// weft.
//
// Recording is a relaxed atomic operation on a series the caller holds: look
// a series up once (`family.labels({...})`, which takes the family's mutex)
// and keep the reference; series live as long as the registry.
//
// Label values are bounded: a family keeps at most `max_series` series (the
// registry's, default 1000). A label set beyond that is recorded in the
// family's one overflow series, whose every label value is `_overflow`, so
// no caller can make the registry grow without bound (a series for each
// execution id, say). Never use ids or keys as label values anyway.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft::metrics {

/// The label value of a family's overflow series.
inline constexpr std::string_view kOverflowLabelValue = "_overflow";

/// Goes up only.
class Counter {
 public:
  void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that is set, or goes up and down.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Counts observations per bucket (upper bounds, inclusive) and sums them.
class Histogram {
 public:
  /// `bounds`: finite, strictly increasing (the registry checks them).
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);
  /// NaN is ignored.
  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0};
};

enum class Type { Counter, Gauge, Histogram };

/// What every family has; rendering is per type.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names,
             std::size_t max_series);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  /// Appends the family (HELP, TYPE, then its series by label values) to `out`.
  virtual void render(std::string& out) const = 0;

 protected:
  /// Throws std::invalid_argument unless there is one value per label name.
  void check_label_count(const std::vector<std::string>& values) const;
  /// The overflow series' label values: `_overflow` for each label name.
  std::vector<std::string> overflow_key() const;
  void render_header(std::string& out) const;
  void render_series(std::string& out, const std::vector<std::string>& values, const Counter& counter) const;
  void render_series(std::string& out, const std::vector<std::string>& values, const Gauge& gauge) const;
  void render_series(std::string& out, const std::vector<std::string>& values, const Histogram& histogram) const;

  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::size_t max_series_;
};

template <typename Metric>
class Family : public FamilyBase {
 public:
  /// `bounds`: a histogram's buckets. A family without labels has its one series from the start.
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names, std::size_t max_series,
         std::shared_ptr<const std::vector<double>> bounds = nullptr)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names), max_series),
        bounds_(std::move(bounds)) {
    if (label_names_.empty()) labels();  // shown (as 0) before its first use
  }

  /// The series with these label values (one per label name, in order), made
  /// on first use. Keep the reference: this takes the family's mutex.
  Metric& labels(std::vector<std::string> values = {}) {
    check_label_count(values);
    std::lock_guard lock(mutex_);
    if (const auto it = series_.find(values); it != series_.end()) return *it->second;
    if (regular_ < max_series_) {
      ++regular_;
    } else {
      values = overflow_key();  // the family is full
    }
    auto& slot = series_[std::move(values)];
    if (!slot) slot = make();
    return *slot;
  }

  void render(std::string& out) const override {
    std::lock_guard lock(mutex_);
    render_header(out);
    for (const auto& [values, metric] : series_) render_series(out, values, *metric);
  }

 protected:
  std::unique_ptr<Metric> make() const {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      return std::make_unique<Histogram>(bounds_);
    } else {
      return std::make_unique<Metric>();
    }
  }

  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;  // sorted: rendered in order
  std::size_t regular_ = 0;  // series made under the limit (all but the overflow one)
  const std::shared_ptr<const std::vector<double>> bounds_;  // histograms: their buckets
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;

class HistogramFamily : public Family<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds, std::size_t max_series);
  const std::vector<double>& bounds() const { return *bounds_; }
};

/// An on_collect callback's registration: removes it when destroyed (waiting
/// for a render that is calling it). Move-only.
class Collector {
 public:
  Collector() = default;
  explicit Collector(std::function<void()> remove) : remove_(std::move(remove)) {}
  Collector(Collector&& other) noexcept : remove_(std::exchange(other.remove_, nullptr)) {}
  Collector& operator=(Collector&& other) noexcept;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  ~Collector() { reset(); }
  /// Removes the callback now.
  void reset();

 private:
  std::function<void()> remove_;
};

class Registry {
 public:
  static constexpr std::size_t kDefaultMaxSeries = 1000;

  explicit Registry(std::size_t max_series_per_family = kDefaultMaxSeries);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Registers a family, or returns the one registered under `name` when it
  /// has the same type, label names (and buckets). Throws std::invalid_argument
  /// for an invalid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), an invalid label
  /// name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, no duplicates,
  /// `le` not on histograms), or a name taken by a different family.
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  /// `buckets`: upper bounds, finite and strictly increasing (a trailing +Inf
  /// is dropped: it is always there).
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                             std::vector<double> buckets);

  /// `callback` runs at the start of every render (to refresh gauges read from
  /// elsewhere), until the returned Collector is destroyed. Callbacks run one
  /// at a time, under a mutex: one must not render, nor destroy a Collector.
  /// An exception from one is ignored.
  [[nodiscard]] Collector on_collect(std::function<void()> callback);

  /// The text exposition format 0.0.4: families sorted by name, each with HELP
  /// and TYPE lines; label values escaped; histograms as cumulative `_bucket`
  /// series (`le`, ending with `+Inf`), `_sum` and `_count`.
  std::string render();

  /// The media type of render()'s output.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Callbacks;
  /// Checks the names; registers `family` or returns the same one registered before.
  FamilyBase& add(std::unique_ptr<FamilyBase> family);

  const std::size_t max_series_;
  std::mutex families_mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>, std::less<>> families_;
  std::shared_ptr<Callbacks> callbacks_;
};

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
bool valid_metric_name(std::string_view name);
/// `[a-zA-Z_][a-zA-Z0-9_]*`
bool valid_label_name(std::string_view name);
/// A label value as written between double quotes: `\`, `"` and newline escaped.
std::string escape_label_value(std::string_view value);
/// A sample value: shortest form that reads back exactly; `+Inf`, `-Inf`, `NaN`.
std::string format_value(double value);

}  // namespace weft::metrics
