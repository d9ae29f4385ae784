#include "store/step_sql_check.hpp"

#include "store/pipeline.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace weft::store {
namespace {

/// Skips whitespace and comments (`--` to the end of the line, `/* */`, nested).
std::size_t skip_blank(std::string_view sql, std::size_t at) {
  while (at < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[at]))) {
      ++at;
    } else if (sql.compare(at, 2, "--") == 0) {
      const auto end = sql.find('\n', at);
      at = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.compare(at, 2, "/*") == 0) {
      int depth = 0;
      do {
        if (sql.compare(at, 2, "/*") == 0) {
          ++depth;
          at += 2;
        } else if (sql.compare(at, 2, "*/") == 0) {
          --depth;
          at += 2;
        } else {
          ++at;
        }
      } while (depth > 0 && at < sql.size());
    } else {
      break;
    }
  }
  return at;
}

/// The keyword at `at` (letters and underscores), upper-cased; `at` moves past it.
std::string keyword(std::string_view sql, std::size_t& at) {
  at = skip_blank(sql, at);
  std::string word;
  while (at < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[at])) || sql[at] == '_'))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[at++])));
  return word;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// Whether `part` (upper case) occurs in `sql` at `at`, in any case.
bool matches_at(std::string_view sql, std::size_t at, std::string_view part) {
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(sql[at + i])) != part[i]) return false;
  }
  return true;
}

/// Whether `part` (upper case) occurs anywhere in `sql`, in any case.
bool has_part(std::string_view sql, std::string_view part) {
  for (std::size_t at = 0; at + part.size() <= sql.size(); ++at) {
    if (matches_at(sql, at, part)) return true;
  }
  return false;
}

/// Whether `word` (upper case) stands in `sql` as a word of its own, in any case.
bool has_word(std::string_view sql, std::string_view word) {
  for (std::size_t at = 0; at + word.size() <= sql.size(); ++at) {
    if (matches_at(sql, at, word) && (at == 0 || !is_word_char(sql[at - 1])) &&
        (at + word.size() == sql.size() || !is_word_char(sql[at + word.size()])))
      return true;
  }
  return false;
}

// One statement per call (the extended protocol takes no more), so the first
// keyword says what it is. Inside DO or a procedure, PostgreSQL itself refuses
// to end a transaction block.
constexpr std::array<std::string_view, 9> kTransactionControl = {
    "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE"};

// Session-level advisory locks stay with the pooled connection after the step
// (the _xact_ forms end with its transaction).
constexpr std::array<std::string_view, 4> kSessionLocks = {"PG_ADVISORY_LOCK", "PG_ADVISORY_LOCK_SHARED",
                                                           "PG_TRY_ADVISORY_LOCK", "PG_TRY_ADVISORY_LOCK_SHARED"};

bool takes_session_lock(std::string_view sql) {
  // Most SQL never names one: look for the common part before scanning word by word.
  if (!has_part(sql, "ADVISORY_LOCK")) return false;
  return std::any_of(kSessionLocks.begin(), kSessionLocks.end(),
                     [&](std::string_view word) { return has_word(sql, word); });
}

}  // namespace

std::optional<std::string> refused_step_sql(std::string_view sql, const std::vector<Json>& params) {
  if (sql.find('\0') != std::string_view::npos) return "the SQL contains a NUL byte";
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].is_string() && std::string_view(params[i].get_string()).find('\0') != std::string_view::npos)
      return "parameter $" + std::to_string(i + 1) + " contains a NUL byte, which PostgreSQL text cannot hold";
  }
  if (params.size() > kMaxParameters)
    return std::to_string(params.size()) + " parameters: PostgreSQL takes at most " + std::to_string(kMaxParameters);

  std::size_t at = 0;
  const auto first = keyword(sql, at);
  const auto second = keyword(sql, at);
  // PREPARE name AS ... is a session's prepared statement; PREPARE TRANSACTION ends the transaction.
  if (first == "PREPARE" && second != "TRANSACTION") {
    return "PREPARE would outlive this step on a pooled connection; pass parameters ($1..$n) instead";
  }
  if (std::find(kTransactionControl.begin(), kTransactionControl.end(), first) != kTransactionControl.end()) {
    return first + ": the step's transaction is the host's; it commits with the step's checkpoint "
                   "(ctx.db:savepoint undoes part of it)";
  }
  if (first == "COPY" && (has_word(sql, "STDIN") || has_word(sql, "STDOUT"))) {
    return "COPY FROM STDIN and COPY TO STDOUT stream through the connection, which ctx.db does not offer; "
           "use INSERT ... SELECT, or ctx.db:query to read rows";
  }
  if ((first == "SET" && second != "LOCAL" && second != "TRANSACTION") || first == "RESET" || first == "DISCARD" ||
      first == "DEALLOCATE" || first == "LISTEN" || first == "LOAD") {
    return first + " would outlive this step on a pooled connection; use SET LOCAL, which ends with the step's "
                   "transaction";
  }
  if (takes_session_lock(sql)) {
    return "a session advisory lock would outlive this step on a pooled connection; use pg_advisory_xact_lock, "
           "which ends with the step's transaction, or the step's lock:";
  }
  return std::nullopt;
}

}  // namespace weft::store
