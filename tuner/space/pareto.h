// Pareto front of plans over (latency proxy, peak SRAM, flash).
//
// The latency proxy is metrics.macs_total until the cost model exists
// (MACs predict latency within one kernel library, STREAMING.md). A plan is
// dominated when another is no worse on all three objectives and better on
// one. Plans that do not fit are never on the front.
#ifndef MCUTUNE_TUNER_SPACE_PARETO_H_
#define MCUTUNE_TUNER_SPACE_PARETO_H_

#include <vector>

#include "tuner/space/plan.h"

namespace mcutune::space {

// Indices (ascending) of the Pareto-optimal fitting plans. Plans with equal
// objectives are all kept. O(n^2) in the number of plans.
std::vector<int> ParetoFront(const std::vector<Plan>& plans);

// True if objectives of `a` dominate those of `b`.
bool Dominates(const Plan& a, const Plan& b);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PARETO_H_
