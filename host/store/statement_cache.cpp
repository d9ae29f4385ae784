#include "store/statement_cache.hpp"

#include <pqxx/except>

namespace weft::store {

const std::string* StatementCache::prepared(std::string_view sql) const {
  const auto it = names_.find(std::string(sql));
  return it == names_.end() ? nullptr : &it->second;
}

void StatementCache::succeeded(std::string_view sql, pqxx::connection_base& connection) {
  if (names_.size() >= kMaxPrepared) return;
  std::string text(sql);
  auto it = successes_.find(text);
  if (it == successes_.end()) {
    // Forget the counts rather than grow: texts that come back are counted again.
    if (successes_.size() >= kMaxCounted) successes_.clear();
    it = successes_.emplace(text, 0).first;
  }
  if (++it->second < kPrepareAfter) return;
  successes_.erase(it);
  // Our own names: a step's SQL never names a statement.
  auto name = "weft_step_sql_" + std::to_string(next_name_++);
  connection.prepare(name, text);
  names_.emplace(std::move(text), std::move(name));
}

void StatementCache::forget(std::string_view sql) {
  const auto it = names_.find(std::string(sql));
  if (it == names_.end()) return;
  forgotten_.push_back(it->second);
  names_.erase(it);
}

void StatementCache::drop_forgotten(pqxx::connection_base& connection) {
  while (!forgotten_.empty()) {
    connection.unprepare(forgotten_.back());
    forgotten_.pop_back();
  }
}

bool is_stale_prepared_statement(const std::exception& error) {
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
  return sql != nullptr && sql->sqlstate() == "0A000" &&
         std::string_view(error.what()).find("cached plan must not change result type") != std::string_view::npos;
}

}  // namespace weft::store
