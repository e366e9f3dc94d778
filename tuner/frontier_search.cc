// The default search strategy and the Pareto helpers (search_strategy.h).
#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "tuner/search_strategy.h"

namespace mcutune::tuner {

bool Dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool better = false;
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) better = true;
  }
  return better;
}

std::vector<bool> ParetoMask(const std::vector<std::string>& kinds,
                             const std::vector<std::vector<double>>& objectives,
                             const std::vector<bool>& include) {
  const size_t n = objectives.size();
  std::vector<bool> on(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (!include[i]) continue;
    bool dominated = false;
    for (size_t j = 0; j < n && !dominated; ++j) {
      dominated = j != i && include[j] && kinds[j] == kinds[i] &&
                  Dominates(objectives[j], objectives[i]);
    }
    on[i] = !dominated;
  }
  return on;
}

namespace {

class FrontierSearch : public SearchStrategy {
 public:
  explicit FrontierSearch(const FrontierSearchOptions& o)
      : options_(o), rng_(o.seed) {}

  std::vector<int> NextBatch(const std::vector<PoolEntry>& pool,
                             int max) override {
    if (max <= 0) return {};
    if (stale_rounds_ >= options_.patience) return {};
    // Measured points per board.
    std::map<std::string, std::vector<std::vector<double>>> measured;
    std::map<std::string, std::string> unit;
    for (const PoolEntry& e : pool) {
      if (!e.measured) continue;
      std::vector<double> p{e.latency};
      p.insert(p.end(), e.other_objectives.begin(), e.other_objectives.end());
      measured[e.board_kind].push_back(std::move(p));
      unit[e.board_kind] = e.unit;
    }
    // Promising entries per board, in pool order.
    std::map<std::string, std::vector<int>> promising;
    std::vector<std::string> boards;
    for (size_t i = 0; i < pool.size(); ++i) {
      const PoolEntry& e = pool[i];
      if (e.done) continue;
      const bool comparable =
          unit.count(e.board_kind) && e.predicted.unit == unit[e.board_kind];
      std::vector<double> optimistic{
          comparable ? e.predicted.low
                     : -std::numeric_limits<double>::infinity()};
      optimistic.insert(optimistic.end(), e.other_objectives.begin(),
                        e.other_objectives.end());
      bool dominated = false;
      for (const std::vector<double>& m : measured[e.board_kind]) {
        if (Dominates(m, optimistic)) {
          dominated = true;
          break;
        }
      }
      if (dominated) continue;
      if (!promising.count(e.board_kind)) boards.push_back(e.board_kind);
      promising[e.board_kind].push_back(static_cast<int>(i));
    }
    if (boards.empty()) return {};
    // Exploitation order per board.
    std::map<std::string, std::vector<int>> ranked;
    for (const std::string& b : boards) ranked[b] = Rank(pool, promising[b]);
    const int explore = static_cast<int>(max * options_.explore_fraction);
    const int exploit = std::max(1, max - explore);
    std::vector<int> batch;
    std::set<int> taken;
    std::map<std::string, size_t> cursor;
    while (static_cast<int>(batch.size()) < exploit) {
      bool any = false;
      for (const std::string& b : boards) {
        if (static_cast<int>(batch.size()) >= exploit) break;
        if (cursor[b] < ranked[b].size()) {
          const int i = ranked[b][cursor[b]++];
          batch.push_back(i);
          taken.insert(i);
          any = true;
        }
      }
      if (!any) break;
    }
    std::vector<int> rest;
    for (const std::string& b : boards) {
      for (int i : promising[b]) {
        if (!taken.count(i)) rest.push_back(i);
      }
    }
    while (static_cast<int>(batch.size()) < max && !rest.empty()) {
      std::uniform_int_distribution<size_t> pick(0, rest.size() - 1);
      const size_t k = pick(rng_);
      batch.push_back(rest[k]);
      rest.erase(rest.begin() + static_cast<long>(k));
    }
    return batch;
  }

  void NotifyResults(const std::vector<int>& batch,
                     bool front_changed) override {
    stale_rounds_ = front_changed ? 0 : stale_rounds_ + 1;
  }

 private:
  // The predicted front (fastest and smallest ends alternately), then the
  // rest by predicted latency.
  static std::vector<int> Rank(const std::vector<PoolEntry>& pool,
                               const std::vector<int>& idx) {
    std::vector<std::vector<double>> points;
    std::vector<std::string> kinds;
    for (int i : idx) {
      std::vector<double> p{pool[i].predicted.latency};
      p.insert(p.end(), pool[i].other_objectives.begin(),
               pool[i].other_objectives.end());
      points.push_back(std::move(p));
      kinds.push_back("");
    }
    const std::vector<bool> front =
        ParetoMask(kinds, points, std::vector<bool>(idx.size(), true));
    std::vector<int> on, off;
    for (size_t k = 0; k < idx.size(); ++k)
      (front[k] ? on : off).push_back(idx[k]);
    auto by_latency = [&](int a, int b) {
      if (pool[a].predicted.latency != pool[b].predicted.latency) {
        return pool[a].predicted.latency < pool[b].predicted.latency;
      }
      return a < b;
    };
    std::sort(on.begin(), on.end(), by_latency);
    std::sort(off.begin(), off.end(), by_latency);
    std::vector<int> out;
    size_t lo = 0, hi = on.size();
    while (lo < hi) {
      out.push_back(on[lo++]);
      if (lo < hi) out.push_back(on[--hi]);
    }
    out.insert(out.end(), off.begin(), off.end());
    return out;
  }

  FrontierSearchOptions options_;
  std::mt19937_64 rng_;
  int stale_rounds_ = 0;
};

}  // namespace

std::unique_ptr<SearchStrategy> MakeFrontierSearch(
    const FrontierSearchOptions& options) {
  return std::make_unique<FrontierSearch>(options);
}

}  // namespace mcutune::tuner
