// Execution-order search against brute force over all topological orders.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "graph/graph.h"
#include "tests/space/space_test_graphs.h"
#include "tuner/space/execution_order.h"

namespace mcutune::space {
namespace {

using testing::GraphBuilder;

// Independent peak evaluation: at step s a tensor counts if it exists (graph
// input, or produced at or before s) and is still needed (graph output, or a
// consumer at or after s); the output of an in-place depthwise does not add.
int64_t BrutePeak(const graph::Graph& g, const std::vector<int>& order,
                  bool inplace) {
  const int n = static_cast<int>(order.size());
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<int> made(nt, 1 << 30), last_use(nt, -1);
  std::vector<bool> is_out(nt, false);
  for (int t : g.inputs) made[t] = -1;
  for (int t : g.outputs) is_out[t] = true;
  for (int s = 0; s < n; ++s) {
    const graph::Operator& op = g.ops[order[s]];
    for (int t : op.outputs) made[t] = s;
    for (int t : op.inputs) {
      if (t >= 0 && !g.tensors[t].is_constant()) last_use[t] = s;
    }
  }
  int64_t peak = 0;
  for (int s = 0; s < n; ++s) {
    const graph::Operator& op = g.ops[order[s]];
    int skip = -1;
    if (inplace && op.type == graph::OpType::kDepthwiseConv2D &&
        last_use[op.inputs[0]] == s && !is_out[op.inputs[0]]) {
      skip = op.outputs[0];
    }
    int64_t live = 0;
    for (int t = 0; t < nt; ++t) {
      if (g.tensors[t].is_constant() || t == skip) continue;
      const bool exists = made[t] <= s;
      const bool needed = is_out[t] || last_use[t] >= s || made[t] == s;
      if (exists && needed) live += g.tensors[t].bytes();
    }
    peak = std::max(peak, live);
  }
  return peak;
}

int64_t BruteBest(const graph::Graph& g, bool inplace, int64_t* count) {
  const int n = static_cast<int>(g.ops.size());
  const std::vector<int> producer = graph::ProducerOf(g);
  std::vector<int> order;
  std::vector<bool> done(n, false);
  int64_t best = INT64_MAX;
  std::function<void()> rec = [&] {
    if (static_cast<int>(order.size()) == n) {
      ++*count;
      best = std::min(best, BrutePeak(g, order, inplace));
      return;
    }
    for (int o = 0; o < n; ++o) {
      if (done[o]) continue;
      bool ready = true;
      for (int t : g.ops[o].inputs) {
        if (t >= 0 && producer[t] >= 0 && !done[producer[t]]) ready = false;
      }
      if (!ready) continue;
      done[o] = true;
      order.push_back(o);
      rec();
      order.pop_back();
      done[o] = false;
    }
  };
  rec();
  return best;
}

// Inception-like block stored branch-interleaved: every expansion first,
// then every reduction. Running each branch to completion is better.
graph::Graph InceptionBlock() {
  GraphBuilder b(8, 8);
  const int in = b.Input(16);
  const int a1 = b.Conv1x1(in, 64);
  const int b1 = b.Conv1x1(in, 96);
  const int c1 = b.Conv1x1(in, 48);
  const int a2 = b.Conv1x1(a1, 8);
  const int b2 = b.Conv1x1(b1, 8);
  const int c2 = b.Conv1x1(c1, 8);
  const int d = b.Conv1x1(in, 8);
  const int cat = b.Concat({a2, b2, c2, d});
  return b.Finish({cat});
}

TEST_CASE("inception block: search beats the model order, matches brute force",
          "[space][order]") {
  const graph::Graph g = InceptionBlock();
  REQUIRE(graph::ValidateGraph(g).ok());
  const int64_t model_peak = OrderPeakBytes(g, {}, true);
  int64_t count = 0;
  const int64_t optimum = BruteBest(g, true, &count);
  REQUIRE(count > 100);
  REQUIRE(optimum < model_peak);
  REQUIRE(BrutePeak(g, [&] {
            std::vector<int> o(g.ops.size());
            for (size_t i = 0; i < o.size(); ++i) o[i] = static_cast<int>(i);
            return o;
          }(), true) == model_peak);

  const ExecutionOrder r = FindExecutionOrder(g);
  CHECK(IsTopologicalOrder(g, r.ops));
  CHECK(r.proven_optimal);
  CHECK(r.source != OrderSource::kModel);
  CHECK(r.searched_peak_bytes == optimum);
  CHECK(OrderPeakBytes(g, r.ops, true) == optimum);
  CHECK(BrutePeak(g, r.ops, true) == optimum);
}

TEST_CASE("a chain keeps the model order, proven", "[space][order]") {
  GraphBuilder b(4, 4);
  int t = b.Input(8);
  for (int i = 0; i < 6; ++i) t = b.Conv1x1(t, 8 + 4 * i);
  const graph::Graph g = b.Finish({t});
  const ExecutionOrder r = FindExecutionOrder(g);
  CHECK(r.source == OrderSource::kModel);
  CHECK(r.proven_optimal);
  CHECK(r.ops == std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("random branched graphs: search equals brute force",
          "[space][order]") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 40; ++trial) {
    GraphBuilder b(4, 4);
    std::vector<int> tensors = {b.Input(4 + static_cast<int>(rng() % 8))};
    const int n_ops = 4 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n_ops; ++i) {
      const int pick = tensors[rng() % tensors.size()];
      const int kind = static_cast<int>(rng() % 4);
      if (kind == 0 && tensors.size() >= 2) {
        const int other = tensors[rng() % tensors.size()];
        tensors.push_back(other == pick ? b.Conv1x1(pick, 6)
                                        : b.Concat({pick, other}));
      } else if (kind == 1) {
        tensors.push_back(b.Depthwise3x3(pick));
      } else {
        tensors.push_back(b.Conv1x1(pick, 2 + static_cast<int>(rng() % 40)));
      }
    }
    // Every tensor nobody consumes is a graph output.
    graph::Graph probe = b.Finish({});
    const auto consumers = graph::ConsumersOf(probe);
    std::vector<int> outs;
    for (int t : tensors) {
      if (consumers[t].empty()) outs.push_back(t);
    }
    const graph::Graph g = b.Finish(outs);
    REQUIRE(graph::ValidateGraph(g).ok());
    for (bool inplace : {true, false}) {
      int64_t count = 0;
      const int64_t optimum = BruteBest(g, inplace, &count);
      OrderSearchOptions options;
      options.inplace_depthwise = inplace;
      const ExecutionOrder r = FindExecutionOrder(g, options);
      INFO("trial " << trial << " inplace " << inplace << " orders " << count);
      REQUIRE(IsTopologicalOrder(g, r.ops));
      CHECK(r.proven_optimal);
      CHECK(r.searched_peak_bytes == optimum);
      CHECK(BrutePeak(g, r.ops, inplace) == optimum);
    }
  }
}

TEST_CASE("search past its state limit falls back and says so",
          "[space][order]") {
  const graph::Graph g = InceptionBlock();
  OrderSearchOptions options;
  options.max_states = 1;
  const ExecutionOrder r = FindExecutionOrder(g, options);
  CHECK_FALSE(r.proven_optimal);
  CHECK(IsTopologicalOrder(g, r.ops));
  CHECK(r.searched_peak_bytes <= OrderPeakBytes(g, {}, true));
}

TEST_CASE("IsTopologicalOrder rejects bad orders", "[space][order]") {
  const graph::Graph g = InceptionBlock();
  CHECK_FALSE(IsTopologicalOrder(g, {}));
  CHECK_FALSE(IsTopologicalOrder(g, {3, 0, 1, 2, 4, 5, 6, 7, 8}));
  CHECK_FALSE(IsTopologicalOrder(g, {0, 0, 1, 2, 3, 4, 5, 6, 7}));
  CHECK(IsTopologicalOrder(g, {0, 3, 1, 4, 2, 5, 6, 7}));
}

}  // namespace
}  // namespace mcutune::space
