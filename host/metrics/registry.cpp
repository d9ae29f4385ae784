#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

namespace weft::metrics {
namespace {

bool name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool name_char(char c, bool colon) { return name_start(c, colon) || (c >= '0' && c <= '9'); }

bool valid_name(std::string_view name, bool colon) {
  if (name.empty() || !name_start(name.front(), colon)) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return name_char(c, colon); });
}

/// Backslash and newline escaped, and double quotes too when `quotes` (label values; not HELP text).
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

const char* type_name(Type type) {
  switch (type) {
    case Type::Counter: return "counter";
    case Type::Gauge: return "gauge";
    case Type::Histogram: return "histogram";
  }
  return "untyped";
}

/// `{a="x",b="y"}`, with `extra` (already formatted, e.g. `le="1"`) last; "" when empty.
std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

void write_sample(std::string& out, std::string_view name, std::string_view suffix, const std::string& labels,
            std::string_view value) {
  out += name;
  out += suffix;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) { return valid_name(name, false); }

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Plain decimals where they are short (as Go's 'g' does), exponents for the very small and large.
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e21);
  const auto format = plain ? std::chars_format::fixed : std::chars_format::scientific;
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, format);
  return std::string(buffer, result.ptr);
}

// --- Histogram -------------------------------------------------------------

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_->size() + 1]) {
  for (std::size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // The first bucket whose upper bound is >= value (bounds are inclusive); past them all: +Inf.
  const auto bucket = std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative.resize(bounds_->size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_->size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = total;  // so +Inf and _count always agree
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

// --- families ---------------------------------------------------------------

FamilyBase::FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names,
                       std::size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      max_series_(std::max<std::size_t>(1, max_series)) {}

void FamilyBase::check_label_count(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " has " + std::to_string(label_names_.size()) +
                                " label(s), given " + std::to_string(values.size()) + " value(s)");
  }
}

std::vector<std::string> FamilyBase::overflow_key() const {
  return std::vector<std::string>(label_names_.size(), std::string(kOverflowLabelValue));
}

void FamilyBase::render_header(std::string& out) const {
  out += "# HELP " + name_ + ' ' + escape(help_, false) + '\n';
  out += "# TYPE " + name_ + ' ' + type_name(type_) + '\n';
}

void FamilyBase::render_series(std::string& out, const std::vector<std::string>& values,
                               const Counter& counter) const {
  write_sample(out, name_, {}, label_text(label_names_, values), std::to_string(counter.value()));
}

void FamilyBase::render_series(std::string& out, const std::vector<std::string>& values, const Gauge& gauge) const {
  write_sample(out, name_, {}, label_text(label_names_, values), format_value(gauge.value()));
}

void FamilyBase::render_series(std::string& out, const std::vector<std::string>& values,
                               const Histogram& histogram) const {
  const auto snapshot = histogram.snapshot();
  const auto& bounds = histogram.bounds();
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    const std::string le =
        "le=\"" + (i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf")) + '"';
    write_sample(out, name_, "_bucket", label_text(label_names_, values, le), std::to_string(snapshot.cumulative[i]));
  }
  const auto labels = label_text(label_names_, values);
  write_sample(out, name_, "_sum", labels, format_value(snapshot.sum));
  write_sample(out, name_, "_count", labels, std::to_string(snapshot.cumulative.back()));
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds, std::size_t max_series)
    : Family<Histogram>(std::move(name), std::move(help), Type::Histogram, std::move(label_names), max_series,
                        std::make_shared<const std::vector<double>>(std::move(bounds))) {}

// --- Collector --------------------------------------------------------------

Collector& Collector::operator=(Collector&& other) noexcept {
  if (this != &other) {
    reset();
    remove_ = std::exchange(other.remove_, nullptr);
  }
  return *this;
}

void Collector::reset() {
  if (auto remove = std::exchange(remove_, nullptr)) remove();
}

// --- Registry ---------------------------------------------------------------

struct Registry::Callbacks {
  std::mutex mutex;  // held while callbacks run, so removing one waits for a render calling it
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::function<void()>> callbacks;
};

Registry::Registry(std::size_t max_series_per_family)
    : max_series_(max_series_per_family), callbacks_(std::make_shared<Callbacks>()) {}

Registry::~Registry() = default;

namespace {

void check_names(const FamilyBase& family) {
  const auto& name = family.name();
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name '" + name + "' (allowed: [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  std::set<std::string_view> seen;
  for (const auto& label : family.label_names()) {
    if (!valid_label_name(label)) {
      throw std::invalid_argument("metric " + name + ": invalid label name '" + label +
                                  "' (allowed: [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    if (label.rfind("__", 0) == 0) {
      throw std::invalid_argument("metric " + name + ": label names starting with __ are reserved ('" + label + "')");
    }
    if (family.type() == Type::Histogram && label == "le") {
      throw std::invalid_argument("metric " + name + ": a histogram cannot have a label named le");
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument("metric " + name + ": label '" + label + "' given twice");
    }
  }
}

}  // namespace

FamilyBase& Registry::add(std::unique_ptr<FamilyBase> family) {
  check_names(*family);
  std::lock_guard lock(families_mutex_);
  const auto it = families_.find(family->name());
  if (it == families_.end()) {
    auto name = family->name();
    return *families_.emplace(std::move(name), std::move(family)).first->second;
  }
  auto& existing = *it->second;
  const bool same = existing.type() == family->type() && existing.label_names() == family->label_names() &&
                    (existing.type() != Type::Histogram || static_cast<HistogramFamily&>(existing).bounds() ==
                                                               static_cast<HistogramFamily&>(*family).bounds());
  if (!same) {
    throw std::invalid_argument("metric " + family->name() +
                                " is already registered with another type, other labels or other buckets");
  }
  return existing;
}

CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  return static_cast<CounterFamily&>(add(std::make_unique<CounterFamily>(
      std::move(name), std::move(help), Type::Counter, std::move(label_names), max_series_)));
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  return static_cast<GaugeFamily&>(add(std::make_unique<GaugeFamily>(
      std::move(name), std::move(help), Type::Gauge, std::move(label_names), max_series_)));
}

HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
  if (!buckets.empty() && std::isinf(buckets.back()) && buckets.back() > 0) buckets.pop_back();
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
      throw std::invalid_argument("histogram " + name + ": buckets must be finite and strictly increasing");
    }
  }
  return static_cast<HistogramFamily&>(add(std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names), std::move(buckets), max_series_)));
}

Collector Registry::on_collect(std::function<void()> callback) {
  std::lock_guard lock(callbacks_->mutex);
  const auto id = callbacks_->next_id++;
  callbacks_->callbacks.emplace(id, std::move(callback));
  return Collector([weak = std::weak_ptr<Callbacks>(callbacks_), id] {
    if (const auto callbacks = weak.lock()) {
      std::lock_guard removing(callbacks->mutex);
      callbacks->callbacks.erase(id);
    }
  });
}

std::string Registry::render() {
  {
    std::lock_guard lock(callbacks_->mutex);
    for (const auto& [id, callback] : callbacks_->callbacks) {
      try {
        callback();
      } catch (...) {
        // A gauge that could not be refreshed keeps its last value.
      }
    }
  }
  std::string out;
  std::lock_guard lock(families_mutex_);
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace weft::metrics
