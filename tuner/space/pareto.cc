// Pareto front by pairwise dominance (plans per request are few thousand at
// most, so O(n^2) is fine and keeps ties explicit).
#include "tuner/space/pareto.h"

namespace mcutune::space {

bool Dominates(const Plan& a, const Plan& b) {
  const int64_t av[3] = {a.metrics.macs_total, a.memory.peak_sram_bytes,
                         a.metrics.flash_bytes};
  const int64_t bv[3] = {b.metrics.macs_total, b.memory.peak_sram_bytes,
                         b.metrics.flash_bytes};
  bool better = false;
  for (int i = 0; i < 3; ++i) {
    if (av[i] > bv[i]) return false;
    if (av[i] < bv[i]) better = true;
  }
  return better;
}

std::vector<int> ParetoFront(const std::vector<Plan>& plans) {
  std::vector<int> front;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!plans[i].metrics.fits) continue;
    bool dominated = false;
    for (size_t j = 0; j < plans.size() && !dominated; ++j) {
      dominated = j != i && plans[j].metrics.fits &&
                  Dominates(plans[j], plans[i]);
    }
    if (!dominated) front.push_back(static_cast<int>(i));
  }
  return front;
}

}  // namespace mcutune::space
