#include "common/diagnostic.hpp"

namespace weft {

std::string Diagnostic::to_string() const {
  std::string text = location.file;
  if (location.line > 0) {
    text += ':' + std::to_string(location.line);
    if (location.column > 0) text += ':' + std::to_string(location.column);
  }
  return text + ": " + message;
}

}  // namespace weft
