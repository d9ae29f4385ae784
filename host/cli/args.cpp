#include "cli/args.hpp"

#include <charconv>

namespace weft::cli {

Args::Args(const std::vector<std::string>& args, const FlagSpec& spec) {
  bool only_positional = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg.size() < 2 || arg.rfind("--", 0) != 0) {
      if (!only_positional && arg.size() > 1 && arg[0] == '-' && arg != "-")
        throw UsageError("unknown option '" + arg + "'");
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (spec.boolean.count(name)) {
      if (inline_value) throw UsageError("option '" + name + "' takes no value");
      present_.insert(name);
    } else if (spec.with_value.count(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError("option '" + name + "' needs a value");
        inline_value = args[++i];
      }
      values_[name] = *inline_value;
      present_.insert(name);
    } else {
      throw UsageError("unknown option '" + name + "'");
    }
  }
}

std::optional<std::string> Args::value(const std::string& flag) const {
  const auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool Args::has(const std::string& flag) const { return present_.count(flag) > 0; }

std::optional<long long> Args::positive_integer(const std::string& flag) const {
  const auto text = value(flag);
  if (!text) return std::nullopt;
  long long number = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, number);
  if (ec != std::errc{} || ptr != end || number <= 0)
    throw UsageError("option '" + flag + "' needs a positive integer, got '" + *text + "'");
  return number;
}

}  // namespace weft::cli
