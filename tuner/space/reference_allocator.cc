// The reference first-fit allocator (PATCH_BASED.md), kept literal:
// - stable sort of rectangle indices by size, descending;
// - for each rectangle, collect the placed rectangles overlapping it in time,
//   sort them by offset and take the lowest gap that holds it;
// - peak = max(offset + size).
#include "tuner/space/reference_allocator.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace mcutune::space {

ReferenceResult ReferenceFirstFit(const std::vector<ReferenceRect>& rects) {
  const int n = static_cast<int>(rects.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return rects[a].bytes > rects[b].bytes;
  });
  ReferenceResult result;
  result.offsets.assign(n, -1);
  std::vector<int> placed;
  placed.reserve(n);
  std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, end)
  for (int r : order) {
    busy.clear();
    for (int p : placed) {
      if (rects[p].begin < rects[r].end && rects[r].begin < rects[p].end) {
        busy.emplace_back(result.offsets[p], result.offsets[p] + rects[p].bytes);
      }
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (lo - offset >= rects[r].bytes) break;  // fits in the gap below lo
      offset = std::max(offset, hi);
    }
    result.offsets[r] = offset;
    result.peak_bytes = std::max(result.peak_bytes, offset + rects[r].bytes);
    placed.push_back(r);
  }
  return result;
}

std::vector<ReferenceRect> LayerwiseReferenceRects(
    const graph::Graph& graph, const std::vector<int>& order_in) {
  const int n_ops = static_cast<int>(graph.ops.size());
  std::vector<int> order = order_in;
  if (order.empty()) {
    order.resize(n_ops);
    std::iota(order.begin(), order.end(), 0);
  }
  std::vector<int> pos(n_ops);
  for (int i = 0; i < n_ops; ++i) pos[order[i]] = i;

  const int n_tensors = static_cast<int>(graph.tensors.size());
  std::vector<int> begin(n_tensors, -1), last(n_tensors, -1);
  auto touch = [&](int t, int p) {
    if (t < 0 || graph.tensors[t].is_constant()) return;
    begin[t] = begin[t] < 0 ? p : std::min(begin[t], p);
    last[t] = std::max(last[t], p);
  };
  for (int op = 0; op < n_ops; ++op) {
    for (int t : graph.ops[op].inputs) touch(t, pos[op]);
    for (int t : graph.ops[op].outputs) touch(t, pos[op]);
  }
  // Every depthwise output rides on its input's rectangle: follow the chain
  // to the rectangle that owns the storage.
  std::vector<int> owner(n_tensors);
  std::iota(owner.begin(), owner.end(), 0);
  for (int p = 0; p < n_ops; ++p) {
    const graph::Operator& op = graph.ops[order[p]];
    if (op.type != graph::OpType::kDepthwiseConv2D) continue;
    const int in = op.inputs[0], out = op.outputs[0];
    if (graph.tensors[in].is_constant()) continue;
    owner[out] = owner[in];
  }
  std::vector<int64_t> bytes(n_tensors, 0);
  std::vector<int> end(n_tensors, -1), first(n_tensors, -1);
  for (int t = 0; t < n_tensors; ++t) {
    if (begin[t] < 0) continue;
    const int o = owner[t];
    bytes[o] = std::max(bytes[o], graph.tensors[t].bytes());
    first[o] = first[o] < 0 ? begin[t] : std::min(first[o], begin[t]);
    end[o] = std::max(end[o], last[t] + 1);
  }
  std::vector<ReferenceRect> rects;
  for (int t = 0; t < n_tensors; ++t) {
    if (owner[t] != t || first[t] < 0) continue;
    rects.push_back({bytes[t], first[t], end[t], t});
  }
  return rects;
}

int64_t ReferenceLayerwiseArena(const graph::Graph& graph,
                                const std::vector<int>& order) {
  return ReferenceFirstFit(LayerwiseReferenceRects(graph, order)).peak_bytes;
}

}  // namespace mcutune::space
