// Flag parsing shared by every sub-command: `--name value`, `--name=value` and
// boolean `--name`. Unknown flags and missing values are usage errors.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::cli {

/// A mistake in how weft was called: reported as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure while doing what was asked: reported as one line, exit code 1.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FlagSpec {
  std::set<std::string> with_value;  // e.g. "--db"
  std::set<std::string> boolean;     // e.g. "--json"
};

class Args {
 public:
  /// Parses `args` (after the sub-command name). Throws UsageError.
  Args(const std::vector<std::string>& args, const FlagSpec& spec);

  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> value(const std::string& flag) const;
  bool has(const std::string& flag) const;

  /// The flag's value as a positive integer; UsageError when it is not one.
  std::optional<long long> positive_integer(const std::string& flag) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  std::set<std::string> present_;
};

}  // namespace weft::cli
