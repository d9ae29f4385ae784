// ctx.db for a transactional step: the step's SQL goes into its own
// StepTransaction, with SQL failures handed to Lua already classified.
#pragma once

#include "lua/database.hpp"
#include "store/step_transaction.hpp"

namespace weft::engine {

class TransactionDatabase final : public lua::Database {
 public:
  explicit TransactionDatabase(store::StepTransaction& transaction) : transaction_(transaction) {}

  Json query(std::string_view sql, const std::vector<Json>& params) override {
    return translated([&] { return transaction_.query(sql, params); });
  }
  std::int64_t exec(std::string_view sql, const std::vector<Json>& params) override {
    return translated([&] { return transaction_.exec(sql, params); });
  }

  std::string begin_savepoint() override {
    return translated([&] { return transaction_.begin_savepoint(); });
  }
  void release_savepoint(const std::string& name) override {
    translated([&] { transaction_.release_savepoint(name); return 0; });
  }
  void rollback_to_savepoint(const std::string& name) override {
    translated([&] { transaction_.rollback_to_savepoint(name); return 0; });
  }

 private:
  template <typename Body>
  static auto translated(Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const store::SqlError& error) {
      throw lua::DatabaseError(error.error());
    }
  }

  store::StepTransaction& transaction_;
};

}  // namespace weft::engine
