#include "definitions/definition.hpp"

namespace weft::definitions {

const Step* Definition::find_step(std::string_view step_id) const {
  for (const auto& step : steps) {
    if (step.id == step_id) return &step;
  }
  return nullptr;
}

}  // namespace weft::definitions
