// Internal to tuner/sweep_store*.cc: the statement helper they share.
#ifndef MCUTUNE_TUNER_SWEEP_STORE_INTERNAL_H_
#define MCUTUNE_TUNER_SWEEP_STORE_INTERNAL_H_

#include "absl/status/statusor.h"
#include "base/sqlite.h"

// Prepares `expr` into `var` (a base::Statement&) or returns its error.
#define SWEEP_ASSIGN(var, expr)                      \
  absl::StatusOr<base::Statement> var##_or = (expr); \
  if (!var##_or.ok()) return var##_or.status();      \
  base::Statement& var = *var##_or

#endif  // MCUTUNE_TUNER_SWEEP_STORE_INTERNAL_H_
