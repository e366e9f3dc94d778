// Minimum-peak execution order.
// - OpModel: per operator its distinct activation inputs, outputs, the
//   producer operators it waits for, and whether it can run in place.
// - Walker: executes operators one at a time, keeping live bytes, per-tensor
//   remaining-consumer counts and per-operator pending-producer counts, with
//   exact undo, so the search and the peak evaluation share one model.
// - Search: DFS over ready operators (ascending index), memo keyed by the
//   executed set storing the lowest peak that reached it, pruned when the
//   peak so far or a per-operator lower bound of what is left reaches the
//   incumbent. The incumbent starts as the better of the model order and a
//   greedy order (lowest step peak, then lowest live bytes after).
#include "tuner/space/execution_order.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <unordered_map>
#include <vector>

namespace mcutune::space {
namespace {

using graph::Graph;
using graph::OpType;

bool InPlaceKind(const Graph& g, int op, bool inplace_depthwise) {
  const graph::Operator& o = g.ops[op];
  if (o.inputs.empty() || o.outputs.size() != 1 || o.inputs[0] < 0) {
    return false;
  }
  const graph::Tensor& in = g.tensors[o.inputs[0]];
  const graph::Tensor& out = g.tensors[o.outputs[0]];
  if (in.is_constant() || out.bytes() > in.bytes()) return false;
  if (o.type == OpType::kReshape) return true;
  if (o.type != OpType::kDepthwiseConv2D || !inplace_depthwise) return false;
  return o.options.depth_multiplier == 1 && in.shape.size() == 4 &&
         out.shape.size() == 4 && in.shape[3] == out.shape[3];
}

struct OpModel {
  std::vector<std::vector<int>> inputs;   // distinct activation inputs
  std::vector<std::vector<int>> outputs;
  std::vector<std::vector<int>> waits;    // distinct producer ops
  std::vector<std::vector<int>> succ;     // consumer ops (distinct)
  std::vector<bool> inplace_kind;
  std::vector<int> consumers;             // per tensor: distinct consumer ops
  std::vector<bool> is_output;
  std::vector<int64_t> bytes;
  std::vector<int64_t> op_floor;  // bytes any step running the op needs
  int64_t initial_live = 0;
};

OpModel BuildModel(const Graph& g, bool inplace_depthwise) {
  const int n = static_cast<int>(g.ops.size());
  const int nt = static_cast<int>(g.tensors.size());
  OpModel m;
  m.inputs.resize(n);
  m.outputs.resize(n);
  m.waits.resize(n);
  m.succ.resize(n);
  m.inplace_kind.resize(n);
  m.op_floor.resize(n);
  m.consumers.assign(nt, 0);
  m.is_output.assign(nt, false);
  m.bytes.resize(nt);
  for (int t = 0; t < nt; ++t) m.bytes[t] = g.tensors[t].bytes();
  for (int t : g.outputs) m.is_output[t] = true;
  const std::vector<int> producer = graph::ProducerOf(g);
  for (int o = 0; o < n; ++o) {
    for (int t : g.ops[o].inputs) {
      if (t < 0 || g.tensors[t].is_constant()) continue;
      if (std::find(m.inputs[o].begin(), m.inputs[o].end(), t) !=
          m.inputs[o].end()) {
        continue;
      }
      m.inputs[o].push_back(t);
      ++m.consumers[t];
      const int p = producer[t];
      if (p >= 0 && std::find(m.waits[o].begin(), m.waits[o].end(), p) ==
                        m.waits[o].end()) {
        m.waits[o].push_back(p);
        m.succ[p].push_back(o);
      }
    }
    m.outputs[o] = g.ops[o].outputs;
    m.inplace_kind[o] = InPlaceKind(g, o, inplace_depthwise);
    int64_t floor = 0;
    for (int t : m.inputs[o]) floor += m.bytes[t];
    if (!m.inplace_kind[o]) {
      for (int t : m.outputs[o]) floor += m.bytes[t];
    }
    m.op_floor[o] = floor;
  }
  for (int t : g.inputs) {
    if (!g.tensors[t].is_constant()) m.initial_live += m.bytes[t];
  }
  return m;
}

class Walker {
 public:
  explicit Walker(const OpModel& m)
      : m_(m),
        remaining_(m.consumers),
        pending_(m.inputs.size()),
        live_(m.initial_live) {
    for (size_t o = 0; o < pending_.size(); ++o) {
      pending_[o] = static_cast<int>(m.waits[o].size());
    }
  }
  int64_t live() const { return live_; }
  bool ready(int o) const { return pending_[o] == 0; }

  bool InPlaceNow(int o) const {
    if (!m_.inplace_kind[o]) return false;
    const int in = m_.inputs[o][0];
    return remaining_[in] == 1 && !m_.is_output[in];
  }

  // Bytes in use while `o` runs.
  int64_t StepBytes(int o) const {
    if (InPlaceNow(o)) return live_;
    int64_t out = 0;
    for (int t : m_.outputs[o]) out += m_.bytes[t];
    return live_ + out;
  }

  // Executes `o`; returns the step's bytes. Undo(o) reverts exactly.
  int64_t Do(int o) {
    const int64_t step = StepBytes(o);
    for (int t : m_.outputs[o]) {
      if (m_.consumers[t] > 0 || m_.is_output[t]) live_ += m_.bytes[t];
    }
    for (int t : m_.inputs[o]) {
      if (--remaining_[t] == 0 && !m_.is_output[t]) live_ -= m_.bytes[t];
    }
    for (int s : m_.succ[o]) --pending_[s];
    pending_[o] = -1;  // executed
    return step;
  }
  void Undo(int o) {
    for (int s : m_.succ[o]) ++pending_[s];
    pending_[o] = 0;  // it was ready when it ran
    for (int t : m_.inputs[o]) {
      if (remaining_[t]++ == 0 && !m_.is_output[t]) live_ += m_.bytes[t];
    }
    for (int t : m_.outputs[o]) {
      if (m_.consumers[t] > 0 || m_.is_output[t]) live_ -= m_.bytes[t];
    }
  }

 private:
  const OpModel& m_;
  std::vector<int> remaining_;
  std::vector<int> pending_;
  int64_t live_;
};

int64_t PeakOf(const OpModel& m, const std::vector<int>& order) {
  Walker w(m);
  int64_t peak = w.live();
  for (int o : order) peak = std::max(peak, w.Do(o));
  return peak;
}

std::vector<int> GreedyOrder(const OpModel& m) {
  const int n = static_cast<int>(m.inputs.size());
  Walker w(m);
  std::vector<int> order;
  std::vector<bool> done(n, false);
  for (int k = 0; k < n; ++k) {
    int best = -1;
    int64_t best_step = 0, best_after = 0;
    for (int o = 0; o < n; ++o) {
      if (done[o] || !w.ready(o)) continue;
      const int64_t step = w.StepBytes(o);
      w.Do(o);
      const int64_t after = w.live();
      w.Undo(o);
      if (best < 0 || step < best_step ||
          (step == best_step && after < best_after)) {
        best = o;
        best_step = step;
        best_after = after;
      }
    }
    done[best] = true;
    w.Do(best);
    order.push_back(best);
  }
  return order;
}

struct KeyHash {
  size_t operator()(const std::vector<uint64_t>& k) const {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (uint64_t w : k) h = (h ^ w) * 0xBF58476D1CE4E5B9ull + (h >> 31);
    return static_cast<size_t>(h);
  }
};

class Search {
 public:
  Search(const OpModel& m, const OrderSearchOptions& options,
         std::vector<int> incumbent, int64_t incumbent_peak)
      : m_(m),
        options_(options),
        n_(static_cast<int>(m.inputs.size())),
        walker_(m),
        executed_((n_ + 63) / 64, 0),
        best_order_(std::move(incumbent)),
        best_peak_(incumbent_peak),
        start_(std::chrono::steady_clock::now()) {}

  // Returns true if the search completed (the result is optimal).
  bool Run() {
    Dfs(walker_.live());
    return !aborted_;
  }
  const std::vector<int>& best_order() const { return best_order_; }
  int64_t best_peak() const { return best_peak_; }
  bool improved() const { return improved_; }

 private:
  void Dfs(int64_t peak) {
    if (aborted_ || peak >= best_peak_) return;
    const int depth = static_cast<int>(prefix_.size());
    if (depth == n_) {
      best_peak_ = peak;
      best_order_ = prefix_;
      improved_ = true;
      return;
    }
    if ((++nodes_ & 1023) == 0) {
      const double s = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start_)
                           .count();
      if (s > options_.time_limit_s) {
        aborted_ = true;
        return;
      }
    }
    // Whatever runs next, each remaining op needs at least its floor.
    int64_t floor = 0;
    for (int o = 0; o < n_; ++o) {
      if (!Executed(o)) floor = std::max(floor, m_.op_floor[o]);
    }
    if (std::max(peak, floor) >= best_peak_) return;
    auto [it, inserted] = memo_.try_emplace(executed_, peak);
    if (!inserted) {
      if (it->second <= peak) return;
      it->second = peak;
    } else if (static_cast<int64_t>(memo_.size()) > options_.max_states) {
      aborted_ = true;
      return;
    }
    for (int o = 0; o < n_; ++o) {
      if (Executed(o) || !walker_.ready(o)) continue;
      const int64_t step = walker_.Do(o);
      SetExecuted(o, true);
      prefix_.push_back(o);
      Dfs(std::max(peak, step));
      prefix_.pop_back();
      SetExecuted(o, false);
      walker_.Undo(o);
      if (aborted_) return;
    }
  }
  bool Executed(int o) const { return (executed_[o >> 6] >> (o & 63)) & 1; }
  void SetExecuted(int o, bool v) {
    if (v) {
      executed_[o >> 6] |= uint64_t{1} << (o & 63);
    } else {
      executed_[o >> 6] &= ~(uint64_t{1} << (o & 63));
    }
  }

  const OpModel& m_;
  const OrderSearchOptions& options_;
  const int n_;
  Walker walker_;
  std::vector<uint64_t> executed_;
  std::vector<int> prefix_;
  std::vector<int> best_order_;
  int64_t best_peak_;
  bool improved_ = false;
  bool aborted_ = false;
  int64_t nodes_ = 0;
  std::unordered_map<std::vector<uint64_t>, int64_t, KeyHash> memo_;
  std::chrono::steady_clock::time_point start_;
};

std::vector<int> ModelOrder(const Graph& g) {
  std::vector<int> order(g.ops.size());
  std::iota(order.begin(), order.end(), 0);
  return order;
}

}  // namespace

int64_t OrderPeakBytes(const Graph& graph, const std::vector<int>& order,
                       bool inplace_depthwise) {
  const OpModel m = BuildModel(graph, inplace_depthwise);
  return PeakOf(m, order.empty() ? ModelOrder(graph) : order);
}

bool IsTopologicalOrder(const Graph& graph, const std::vector<int>& order) {
  const int n = static_cast<int>(graph.ops.size());
  if (static_cast<int>(order.size()) != n) return false;
  std::vector<int> pos(n, -1);
  for (int i = 0; i < n; ++i) {
    if (order[i] < 0 || order[i] >= n || pos[order[i]] >= 0) return false;
    pos[order[i]] = i;
  }
  const std::vector<int> producer = graph::ProducerOf(graph);
  for (int o = 0; o < n; ++o) {
    for (int t : graph.ops[o].inputs) {
      if (t >= 0 && producer[t] >= 0 && pos[producer[t]] >= pos[o]) {
        return false;
      }
    }
  }
  return true;
}

bool RunsInPlace(const Graph& graph, const std::vector<int>& order_in, int pos,
                 bool inplace_depthwise) {
  const std::vector<int> order =
      order_in.empty() ? ModelOrder(graph) : order_in;
  const int o = order[pos];
  if (!InPlaceKind(graph, o, inplace_depthwise)) return false;
  const int in = graph.ops[o].inputs[0];
  for (int t : graph.outputs) {
    if (t == in) return false;
  }
  for (int p = pos + 1; p < static_cast<int>(order.size()); ++p) {
    for (int t : graph.ops[order[p]].inputs) {
      if (t == in) return false;
    }
  }
  return true;
}

ExecutionOrder FindExecutionOrder(const Graph& graph,
                                  const OrderSearchOptions& options) {
  const OpModel m = BuildModel(graph, options.inplace_depthwise);
  const std::vector<int> model = ModelOrder(graph);
  const int64_t model_peak = PeakOf(m, model);
  const std::vector<int> greedy = GreedyOrder(m);
  const int64_t greedy_peak = PeakOf(m, greedy);
  const bool greedy_wins = greedy_peak < model_peak;

  Search search(m, options, greedy_wins ? greedy : model,
                std::min(model_peak, greedy_peak));
  const bool complete = search.Run();

  ExecutionOrder result;
  result.ops = search.best_order();
  result.searched_peak_bytes = search.best_peak();
  result.proven_optimal = complete;
  if (search.improved()) {
    result.source = OrderSource::kExactSearch;
  } else if (greedy_wins) {
    result.source = OrderSource::kHeuristic;  // proven when complete
  } else {
    result.source = OrderSource::kModel;
  }
  return result;
}

}  // namespace mcutune::space
