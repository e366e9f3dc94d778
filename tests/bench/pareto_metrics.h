// How close a found Pareto front is to a reference one (tune_bench.cc).
//
//   points (minimised objectives, e.g. {latency, peak SRAM, flash})
//     Hypervolume(points, ref): volume dominated by the points and bounded
//       by `ref` (points not strictly below ref in every objective add
//       nothing); exact, by slicing along objective 0 (n^2 log n).
//     FrontPoints(points): the non-dominated subset.
//     BestAtOrBelow(found, sram): smallest latency of `found` whose SRAM
//       (objective 1) is <= sram; +inf when none.
// Header-only, for the benchmarks.
#ifndef MCUTUNE_TESTS_BENCH_PARETO_METRICS_H_
#define MCUTUNE_TESTS_BENCH_PARETO_METRICS_H_

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace mcutune::bench {

using Point = std::vector<double>;

inline bool DominatesPoint(const Point& a, const Point& b) {
  bool better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

inline std::vector<Point> FrontPoints(const std::vector<Point>& points) {
  std::vector<Point> front;
  for (const Point& p : points) {
    bool dominated = false;
    for (const Point& q : points) dominated = dominated || DominatesPoint(q, p);
    if (!dominated) front.push_back(p);
  }
  return front;
}

// Area dominated in 2-D (objectives d0, d1) below ref.
inline double Hypervolume2(std::vector<Point> pts, const Point& ref, int d0,
                           int d1) {
  std::sort(pts.begin(), pts.end(),
            [&](const Point& a, const Point& b) { return a[d0] < b[d0]; });
  double area = 0, best1 = ref[d1];
  for (size_t i = 0; i < pts.size(); ++i) {
    best1 = std::min(best1, pts[i][d1]);
    const double next = i + 1 < pts.size() ? pts[i + 1][d0] : ref[d0];
    area += (next - pts[i][d0]) * (ref[d1] - best1);
  }
  return area;
}

inline double Hypervolume(const std::vector<Point>& points, const Point& ref) {
  std::vector<Point> pts;
  for (const Point& p : points) {
    bool inside = true;
    for (size_t i = 0; i < p.size(); ++i) inside = inside && p[i] < ref[i];
    if (inside) pts.push_back(p);
  }
  if (pts.empty()) return 0;
  if (ref.size() == 1) {
    double best = ref[0];
    for (const Point& p : pts) best = std::min(best, p[0]);
    return ref[0] - best;
  }
  if (ref.size() == 2) return Hypervolume2(pts, ref, 0, 1);
  // 3-D: slabs along objective 0, each the 2-D volume of the points so far
  // in objectives 1 and 2.
  std::sort(pts.begin(), pts.end(),
            [](const Point& a, const Point& b) { return a[0] < b[0]; });
  double volume = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    const double next = i + 1 < pts.size() ? pts[i + 1][0] : ref[0];
    if (next <= pts[i][0]) continue;
    const std::vector<Point> slab(pts.begin(), pts.begin() + i + 1);
    volume += (next - pts[i][0]) * Hypervolume2(slab, ref, 1, 2);
  }
  return volume;
}

inline double BestAtOrBelow(const std::vector<Point>& found, double sram) {
  double best = std::numeric_limits<double>::infinity();
  for (const Point& p : found) {
    if (p[1] <= sram) best = std::min(best, p[0]);
  }
  return best;
}

}  // namespace mcutune::bench

#endif  // MCUTUNE_TESTS_BENCH_PARETO_METRICS_H_
