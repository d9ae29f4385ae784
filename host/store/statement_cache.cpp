#include "store/statement_cache.hpp"

#include <pqxx/except>

#include <utility>

namespace weft::store {

const std::string* StatementCache::prepared(std::string_view sql) const {
  const auto it = names_.find(sql);
  return it == names_.end() ? nullptr : &it->second;
}

std::optional<std::string> StatementCache::name_to_prepare(std::string_view sql) {
  if (names_.size() >= kMaxPrepared) return std::nullopt;
  const auto it = successes_.find(sql);
  if (it == successes_.end() || it->second < kPrepareAfter) return std::nullopt;
  // Our own names: a step's SQL never names a statement.
  return "weft_step_sql_" + std::to_string(next_name_++);
}

void StatementCache::add(std::string_view sql, std::string name) {
  if (const auto it = successes_.find(sql); it != successes_.end()) successes_.erase(it);
  names_.insert_or_assign(std::string(sql), std::move(name));
}

void StatementCache::succeeded(std::string_view sql) {
  if (names_.size() >= kMaxPrepared) return;
  auto it = successes_.find(sql);
  if (it == successes_.end()) {
    // Forget the counts rather than grow: texts that come back are counted again.
    if (successes_.size() >= kMaxCounted) successes_.clear();
    it = successes_.emplace(std::string(sql), 0).first;
  }
  ++it->second;
}

void StatementCache::forget(std::string_view sql) {
  const auto it = names_.find(sql);
  if (it == names_.end()) return;
  forgotten_.push_back(it->second);
  names_.erase(it);
}

std::vector<std::string> StatementCache::take_forgotten() { return std::exchange(forgotten_, {}); }

bool is_stale_prepared_statement(const std::exception& error) {
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
  return sql != nullptr && sql->sqlstate() == "0A000" &&
         std::string_view(error.what()).find("cached plan must not change result type") != std::string_view::npos;
}

}  // namespace weft::store
