// Analyze(): per-operator MACs, parameter bytes and activation memory map.
//
// - One pass over the operators finds every activation tensor's lifetime
//   [first_op, last_op] (producer or 0 for graph inputs .. last consumer, or
//   the last operator for graph outputs).
// - A sweep in execution order keeps a running sum of live bytes: tensors
//   starting at op i join before op i is reported, tensors ending at op i
//   leave after. Byte figures cost O(ops + tensors + operands) whatever the
//   graph, so hostile files cannot make them slow.
// - The per-op memory map needs the live set itself (kept sorted by index);
//   its total size is known up front from the lifetimes and it is only built
//   when it stays under kMaxMemoryMapEntries.
// - MACs come from the output and filter shapes (validated by ValidateGraph),
//   so batch, grouped convolution and depth multipliers need no special case.
#include "graph/analysis.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace mcutune::graph {
namespace {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  // Both operands are non-negative here.
  if (a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

// Elements of `t` divided by its dimension `dim` (e.g. filter elements per
// output channel); 0 for an empty dimension.
int64_t ElementsPerSlice(const Tensor& t, int dim) {
  assert(dim < static_cast<int>(t.shape.size()));
  if (t.shape[dim] <= 0) return 0;
  return t.num_elements() / t.shape[dim];
}

// Multiply-accumulates of one operator. Each factor is bounded by
// kMaxTensorBytes (2^30 elements), so products fit in int64.
int64_t CountMacs(const Graph& g, const Operator& op) {
  switch (op.type) {
    case OpType::kConv2D: {
      // output N*H*W*Cout x filter [Cout, kh, kw, Cin] per output channel.
      const Tensor& out = g.tensors[op.outputs[0]];
      const Tensor& filter = g.tensors[op.inputs[1]];
      return out.num_elements() * ElementsPerSlice(filter, 0);
    }
    case OpType::kDepthwiseConv2D: {
      // output N*H*W*(Cin*M) x kh*kw; filter [1, kh, kw, Cin*M].
      const Tensor& out = g.tensors[op.outputs[0]];
      const Tensor& filter = g.tensors[op.inputs[1]];
      return out.num_elements() * filter.shape[1] * filter.shape[2];
    }
    case OpType::kFullyConnected: {
      // output batch*out x in; weights [out, in].
      const Tensor& out = g.tensors[op.outputs[0]];
      const Tensor& weights = g.tensors[op.inputs[1]];
      return out.num_elements() * weights.shape[1];
    }
    default:
      return 0;
  }
}

int64_t CountOtherOps(const Graph& g, const Operator& op) {
  switch (op.type) {
    case OpType::kAdd:
      return g.tensors[op.outputs[0]].num_elements();
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D:
      return g.tensors[op.outputs[0]].num_elements() * op.options.filter_h *
             op.options.filter_w;
    case OpType::kMean:
    case OpType::kSoftmax:
      return g.tensors[op.inputs[0]].num_elements();
    default:
      return 0;
  }
}

// Lifetimes of all activation tensors, indexed by tensor (first_op == -1 for
// tensors that are never live: constants and unreferenced tensors).
std::vector<TensorLifetime> ComputeLifetimes(const Graph& g) {
  const int num_ops = static_cast<int>(g.ops.size());
  std::vector<TensorLifetime> life(g.tensors.size());
  for (size_t t = 0; t < life.size(); ++t) {
    life[t].tensor = static_cast<int>(t);
    life[t].bytes = g.tensors[t].bytes();
    life[t].first_op = -1;
    life[t].last_op = -1;
  }
  auto touch = [&](int t, int op, bool starts_here) {
    if (t < 0 || g.tensors[t].is_constant()) return;
    TensorLifetime& l = life[t];
    if (l.first_op < 0) l.first_op = starts_here ? op : 0;
    l.last_op = std::max(l.last_op, op);
  };
  for (int t : g.inputs) touch(t, 0, false);
  for (int i = 0; i < num_ops; ++i) {
    // Inputs first: an operand nobody produced (only graph inputs, after
    // validation) is live from the start.
    for (int t : g.ops[i].inputs) touch(t, i, false);
    for (int t : g.ops[i].outputs) touch(t, i, true);
  }
  for (int t : g.outputs) touch(t, std::max(0, num_ops - 1), false);
  return life;
}

}  // namespace

const char* TensorRoleName(TensorRole role) {
  switch (role) {
    case TensorRole::kInput:
      return "input";
    case TensorRole::kOutput:
      return "output";
    case TensorRole::kOther:
      return "other";
  }
  return "other";
}

Analysis Analyze(const Graph& graph) {
  Analysis result;
  const int num_ops = static_cast<int>(graph.ops.size());
  std::vector<TensorLifetime> life = ComputeLifetimes(graph);

  // Tensors entering and leaving the live set at each operator, and the size
  // the per-op memory map would have (sum over ops of live tensors).
  std::vector<std::vector<int>> starts(std::max(num_ops, 1));
  std::vector<std::vector<int>> ends(std::max(num_ops, 1));
  int64_t map_entries = 0;
  for (const TensorLifetime& l : life) {
    if (l.first_op < 0) continue;
    starts[l.first_op].push_back(l.tensor);
    ends[l.last_op].push_back(l.tensor);
    map_entries += l.last_op - l.first_op + 1;
    result.lifetimes.push_back(l);
  }
  result.memory_map_complete = map_entries <= kMaxMemoryMapEntries;

  // Per-tensor stamps (index of the last operator that listed the tensor)
  // make duplicate operands cost O(1) to detect.
  std::vector<int> seen(graph.tensors.size(), -1);
  std::vector<bool> buffer_counted(graph.buffers.size(), false);
  std::vector<int> live;  // sorted tensor indices; only for the memory map
  int64_t live_sum = 0;   // bytes of all live tensors
  result.ops.reserve(num_ops);
  for (int i = 0; i < num_ops; ++i) {
    const Operator& op = graph.ops[i];
    for (int t : starts[i]) {
      live_sum += life[t].bytes;
      // Bounded by kMaxMemoryMapEntries in total, like the map itself.
      if (result.memory_map_complete) {
        live.insert(std::lower_bound(live.begin(), live.end(), t), t);
      }
    }

    OpAnalysis a;
    a.index = i;
    a.type = op.type;
    a.macs = CountMacs(graph, op);
    a.other_ops = CountOtherOps(graph, op);
    for (int t : op.inputs) {
      if (t < 0 || seen[t] == i) continue;
      seen[t] = i;
      const Tensor& tensor = graph.tensors[t];
      if (tensor.is_constant()) {
        a.params.push_back(t);
        a.params_bytes += tensor.bytes();
        const size_t b = static_cast<size_t>(tensor.buffer);
        if (b < buffer_counted.size() && !buffer_counted[b]) {
          buffer_counted[b] = true;
          result.params_bytes += tensor.bytes();
        }
      } else {
        a.inputs.push_back(t);
        a.input_bytes += tensor.bytes();
      }
    }
    for (int t : op.outputs) {
      seen[t] = i;
      a.outputs.push_back(t);
      a.output_bytes += graph.tensors[t].bytes();
    }
    // Every activation operand is itself live during the operator.
    a.live_bytes = live_sum - a.input_bytes - a.output_bytes;
    a.total_bytes = live_sum;
    if (result.memory_map_complete) {
      a.memory.reserve(live.size());
      for (int t : a.inputs) {
        a.memory.push_back({t, life[t].bytes, TensorRole::kInput});
      }
      for (int t : a.outputs) {
        a.memory.push_back({t, life[t].bytes, TensorRole::kOutput});
      }
      for (int t : live) {
        if (seen[t] == i) continue;
        a.memory.push_back({t, life[t].bytes, TensorRole::kOther});
      }
    }

    result.macs_total = SaturatingAdd(result.macs_total, a.macs);
    result.other_ops_total = SaturatingAdd(result.other_ops_total, a.other_ops);
    if (result.peak_op < 0 || a.total_bytes > result.peak_live_bytes) {
      result.peak_live_bytes = a.total_bytes;
      result.peak_op = i;
    }
    result.ops.push_back(std::move(a));

    for (int t : ends[i]) live_sum -= life[t].bytes;
    if (result.memory_map_complete) {
      live.erase(std::remove_if(live.begin(), live.end(),
                                [&](int t) { return life[t].last_op <= i; }),
                 live.end());
    }
  }
  return result;
}

}  // namespace mcutune::graph
