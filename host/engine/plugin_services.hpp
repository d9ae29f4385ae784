// What a plugin action's ctx offers, over the same pieces a Lua step gets:
// ctx.db() is the step's transaction (null outside `transaction:` steps),
// ctx.emit() appends to the step's outbox.
#pragma once

#include "lua/database.hpp"
#include "plugins/plugin_host.hpp"

#include <vector>

namespace weft::engine {

class PluginServices final : public plugins::StepServices {
 public:
  PluginServices(lua::Database* database, std::vector<Json>* outbox) : database_(database), outbox_(outbox) {}

  bool has_database() const override { return database_ != nullptr; }
  Json query(std::string_view sql, const std::vector<Json>& params) override {
    return translated([&] { return database_->query(sql, params); });
  }
  std::int64_t exec(std::string_view sql, const std::vector<Json>& params) override {
    return translated([&] { return database_->exec(sql, params); });
  }
  void emit(std::string_view type, Json data) override {
    if (outbox_ == nullptr) {
      throw plugins::ServiceError(StepError{"no_outbox", "ctx.emit is not available here", false, nullptr});
    }
    outbox_->push_back(JsonObject{{"type", type}, {"data", std::move(data)}});
  }

 private:
  template <typename Body>
  auto translated(Body&& body) -> decltype(body()) {
    if (database_ == nullptr) {
      throw plugins::ServiceError(StepError{
          "no_transaction", "ctx.db() is only available in steps with `transaction:`", false, nullptr});
    }
    try {
      return body();
    } catch (const lua::DatabaseError& error) {
      throw plugins::ServiceError(error.error());
    }
  }

  lua::Database* database_;
  std::vector<Json>* outbox_;
};

}  // namespace weft::engine
