// An independent checker of memory plans.
//
// Deliberately simple and separate from the planners (it shares no code with
// arena_planner.cc) so that a planner bug cannot hide behind itself. It
// checks, for every Plan, by brute force:
//   - every buffer has bytes >= 0, a valid memory, 0 <= first_step <=
//     last_step < steps.size() (buffers of an empty plan: none allowed);
//   - every SRAM buffer lies in [0, peak_sram_bytes), every external RAM
//     buffer in [0, ext_ram_bytes), every external flash buffer in
//     [0, ext_flash_bytes); arena buffers (activation, patch) lie in
//     [0, arena_bytes);
//   - two buffers of the same memory alive at a common step do not overlap
//     in address range unless one aliases the other (alias_of, followed
//     transitively), and an alias lies inside the buffer it aliases;
//   - every buffer a step reads or writes exists and is live at that step;
//   - peak_sram_bytes == arena + stream + overlay + scratch.
// Thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_PLAN_CHECKER_H_
#define MCUTUNE_TUNER_SPACE_PLAN_CHECKER_H_

#include "absl/status/status.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// OK, or INTERNAL describing the first few violations (buffer/step ids).
absl::Status CheckMemoryPlan(const Plan& plan);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PLAN_CHECKER_H_
