// How a refused signal, cancel or retry becomes the CLI's error: a request
// that is wrong in itself is a usage error (exit 2), anything else exit 1.
#pragma once

#include "api/control.hpp"
#include "cli/args.hpp"

namespace weft::cli {

inline void throw_if_refused(const api::ControlResult& result) {
  using Refusal = api::ControlResult::Refusal;
  if (result.refusal == Refusal::None) return;
  if (result.refusal == Refusal::Invalid) throw UsageError(result.message);
  throw RuntimeError(result.message);
}

}  // namespace weft::cli
