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
    try {
      return transaction_.query(sql, params);
    } catch (const store::SqlError& error) {
      throw lua::DatabaseError(error.error());
    }
  }

  std::int64_t exec(std::string_view sql, const std::vector<Json>& params) override {
    try {
      return transaction_.exec(sql, params);
    } catch (const store::SqlError& error) {
      throw lua::DatabaseError(error.error());
    }
  }

 private:
  store::StepTransaction& transaction_;
};

}  // namespace weft::engine
