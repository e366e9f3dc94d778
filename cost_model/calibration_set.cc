// Calibration-set selection (calibration_set.h).
#include "cost_model/calibration_set.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

namespace mcutune::cost_model {

std::vector<int> SelectCalibrationSet(
    const std::vector<space::Plan>& plans, int n,
    const std::set<space::Strategy>& strategies, int64_t max_kernel_calls) {
  using space::Strategy;
  std::vector<int> chosen;
  if (n <= 0) return chosen;
  auto allowed = [&](Strategy s) {
    return strategies.empty() || strategies.count(s) > 0;
  };
  std::map<Strategy, std::vector<int>> family;
  for (size_t i = 0; i < plans.size(); ++i) {
    const space::Plan& p = plans[i];
    if (!p.metrics.fits || !allowed(p.candidate.strategy)) continue;
    if (max_kernel_calls > 0 && p.metrics.kernel_calls > max_kernel_calls)
      continue;
    const std::string id = p.candidate.Id();
    if ((id == "layerwise" || id == "layerwise-noip") &&
        static_cast<int>(chosen.size()) < n) {
      chosen.push_back(static_cast<int>(i));
      continue;
    }
    family[p.candidate.strategy].push_back(static_cast<int>(i));
  }
  const Strategy order[] = {Strategy::kStream2D, Strategy::kPatch,
                            Strategy::kStream1D, Strategy::kHybrid,
                            Strategy::kTinyOps,  Strategy::kLayerwise};
  std::map<Strategy, int> quota;
  int left = n - static_cast<int>(chosen.size());
  for (bool progress = true; left > 0 && progress;) {
    progress = false;
    for (Strategy s : order) {
      if (left > 0 && quota[s] < static_cast<int>(family[s].size())) {
        ++quota[s];
        --left;
        progress = true;
      }
    }
  }
  for (Strategy s : order) {
    std::vector<int>& f = family[s];
    if (quota[s] == 0) continue;
    std::sort(f.begin(), f.end(), [&](int a, int b) {
      const space::Candidate& x = plans[a].candidate;
      const space::Candidate& y = plans[b].candidate;
      return std::make_tuple(x.split_idx, x.n_patch, x.Id()) <
             std::make_tuple(y.split_idx, y.n_patch, y.Id());
    });
    const int size = static_cast<int>(f.size());
    for (int j = 0; j < quota[s]; ++j) {
      chosen.push_back(f[static_cast<size_t>((j + 0.5) * size / quota[s])]);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace mcutune::cost_model
