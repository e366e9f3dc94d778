// ValidateGraph: the complete check of a Graph at the door.
//
// - Structure: counts within limits; every tensor index in range; each
//   activation produced once; every operand read after it is produced (the
//   stored order is an execution order), with cycles named as such.
// - Tensors: rank <= kMaxRank, dimensions >= 1 (scalars allowed), byte size
//   computed without overflow and <= kMaxTensorBytes, constant data exactly the
//   size the shape needs, quantization arrays consistent with the shape.
// - Operators: operand count, types and shapes as the operator requires,
//   output shapes equal to what the operator computes (op_shape_checks.cc).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/graph.h"
#include "graph/op_shape_checks.h"

namespace mcutune::graph {
namespace {

std::string TensorLabel(const Graph& g, int t) {
  return absl::StrCat("tensor ", t, " '", g.tensors[t].name, "'");
}

absl::Status Invalid(const std::string& msg) {
  return absl::InvalidArgumentError(msg);
}

absl::Status CheckTensor(const Graph& g, int t) {
  const Tensor& tensor = g.tensors[t];
  if (tensor.shape.size() > static_cast<size_t>(kMaxRank)) {
    return Invalid(absl::StrCat(TensorLabel(g, t), " has rank ",
                                tensor.shape.size(), " (max ", kMaxRank, ")"));
  }
  if (tensor.type == DataType::kOther) {
    return Invalid(absl::StrCat(TensorLabel(g, t), " has an unknown type"));
  }
  int64_t bytes = DataTypeSize(tensor.type);
  for (int32_t d : tensor.shape) {
    if (d < 1) {
      return Invalid(absl::StrCat(TensorLabel(g, t), " has dimension ", d,
                                  " in shape [",
                                  absl::StrJoin(tensor.shape, ","), "]"));
    }
    if (bytes > kMaxTensorBytes / d) {
      return Invalid(absl::StrCat(TensorLabel(g, t), " shape [",
                                  absl::StrJoin(tensor.shape, ","),
                                  "] is larger than ", kMaxTensorBytes,
                                  " bytes"));
    }
    bytes *= d;
  }
  if (tensor.buffer >= static_cast<int>(g.buffers.size())) {
    return Invalid(absl::StrCat(TensorLabel(g, t), " refers to buffer ",
                                tensor.buffer, " of ", g.buffers.size()));
  }
  if (tensor.is_constant() &&
      static_cast<int64_t>(g.buffers[tensor.buffer].size()) != bytes) {
    return Invalid(absl::StrCat(TensorLabel(g, t), " needs ", bytes,
                                " bytes of constant data but its buffer has ",
                                g.buffers[tensor.buffer].size()));
  }
  const Quantization& q = tensor.quant;
  if (q.scale.empty()) {
    if (!q.zero_point.empty()) {
      return Invalid(absl::StrCat(TensorLabel(g, t),
                                  " has zero points but no scales"));
    }
    return absl::OkStatus();
  }
  for (float s : q.scale) {
    if (!std::isfinite(s) || s <= 0.0f) {
      return Invalid(absl::StrCat(TensorLabel(g, t),
                                  " has a non-positive or non-finite scale ",
                                  s));
    }
  }
  if (q.zero_point.size() != q.scale.size() && q.zero_point.size() != 1) {
    return Invalid(absl::StrCat(TensorLabel(g, t), " has ", q.scale.size(),
                                " scales but ", q.zero_point.size(),
                                " zero points"));
  }
  for (int64_t zp : q.zero_point) {
    if (tensor.type == DataType::kInt8 && (zp < -128 || zp > 127)) {
      return Invalid(absl::StrCat(TensorLabel(g, t), " has zero point ", zp,
                                  " outside the int8 range"));
    }
    if (tensor.type == DataType::kInt32 && zp != 0) {
      return Invalid(absl::StrCat(TensorLabel(g, t),
                                  " (int32) has non-zero zero point ", zp));
    }
  }
  if (q.per_channel()) {
    if (q.quantized_dimension < 0 ||
        q.quantized_dimension >= static_cast<int>(tensor.shape.size())) {
      return Invalid(absl::StrCat(TensorLabel(g, t), " quantized_dimension ",
                                  q.quantized_dimension, " is out of range"));
    }
    if (tensor.shape[q.quantized_dimension] !=
        static_cast<int32_t>(q.scale.size())) {
      return Invalid(absl::StrCat(
          TensorLabel(g, t), " has ", q.scale.size(),
          " per-channel scales for dimension ", q.quantized_dimension,
          " of size ", tensor.shape[q.quantized_dimension]));
    }
  }
  return absl::OkStatus();
}

// Finds a cycle among operators (edges producer -> consumer); returns the
// operator indices along it, or empty when the graph is acyclic.
std::vector<int> FindCycle(const Graph& g) {
  const std::vector<int> producer = ProducerOf(g);
  const int n = static_cast<int>(g.ops.size());
  std::vector<int> state(n, 0), parent(n, -1);  // 0 new, 1 open, 2 done
  for (int root = 0; root < n; ++root) {
    if (state[root]) continue;
    // Iterative DFS over predecessor edges (bounded stack: no recursion).
    std::vector<std::pair<int, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [op, next] = stack.back();
      if (next < g.ops[op].inputs.size()) {
        const int t = g.ops[op].inputs[next++];
        const int p = (t >= 0) ? producer[t] : -1;
        if (p < 0) continue;
        if (state[p] == 1) {
          std::vector<int> cycle{p};
          for (int v = op; v != p && v >= 0; v = parent[v]) cycle.push_back(v);
          std::reverse(cycle.begin(), cycle.end());
          return cycle;
        }
        if (state[p] == 0) {
          state[p] = 1;
          parent[p] = op;
          stack.push_back({p, 0});
        }
      } else {
        state[op] = 2;
        stack.pop_back();
      }
    }
  }
  return {};
}

absl::Status CheckStructure(const Graph& g) {
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<int> producer(nt, -1);
  std::vector<bool> is_input(nt, false);
  for (int t : g.inputs) {
    if (t < 0 || t >= nt) {
      return Invalid(absl::StrCat("graph input refers to tensor ", t, " of ",
                                  nt));
    }
    if (g.tensors[t].is_constant()) {
      return Invalid(absl::StrCat("graph input ", TensorLabel(g, t),
                                  " is a constant"));
    }
    is_input[t] = true;
  }
  if (g.inputs.empty()) return Invalid("the graph has no inputs");
  if (g.outputs.empty()) return Invalid("the graph has no outputs");
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Operator& op = g.ops[i];
    const std::string label =
        absl::StrCat("operator ", i, " (", OpTypeName(op.type), ")");
    for (int t : op.inputs) {
      if (t < -1 || t >= nt) {
        return Invalid(absl::StrCat(label, " reads tensor ", t, " of ", nt));
      }
    }
    if (op.outputs.empty()) return Invalid(absl::StrCat(label, " has no outputs"));
    for (int t : op.outputs) {
      if (t < 0 || t >= nt) {
        return Invalid(absl::StrCat(label, " writes tensor ", t, " of ", nt));
      }
      if (g.tensors[t].is_constant() || is_input[t]) {
        return Invalid(absl::StrCat(label, " writes ", TensorLabel(g, t),
                                    ", which is a constant or graph input"));
      }
      if (producer[t] >= 0) {
        return Invalid(absl::StrCat(label, " writes ", TensorLabel(g, t),
                                    ", already written by operator ",
                                    producer[t]));
      }
      producer[t] = static_cast<int>(i);
    }
  }
  // Every operand must exist before it is read, in the stored order.
  for (size_t i = 0; i < g.ops.size(); ++i) {
    for (int t : g.ops[i].inputs) {
      if (t < 0 || g.tensors[t].is_constant() || is_input[t]) continue;
      if (producer[t] < 0) {
        return Invalid(absl::StrCat("operator ", i, " (",
                                    OpTypeName(g.ops[i].type), ") reads ",
                                    TensorLabel(g, t),
                                    ", which nothing produces"));
      }
      if (producer[t] >= static_cast<int>(i)) {
        const std::vector<int> cycle = FindCycle(g);
        if (!cycle.empty()) {
          return Invalid(absl::StrCat("the operators form a cycle: ",
                                      absl::StrJoin(cycle, " -> "), " -> ",
                                      cycle.front()));
        }
        return Invalid(absl::StrCat("operator ", i, " reads ",
                                    TensorLabel(g, t),
                                    " before operator ", producer[t],
                                    " produces it (operators out of order)"));
      }
    }
  }
  for (int t : g.outputs) {
    if (t < 0 || t >= nt) {
      return Invalid(absl::StrCat("graph output refers to tensor ", t, " of ",
                                  nt));
    }
    if (producer[t] < 0 && !is_input[t]) {
      return Invalid(absl::StrCat("graph output ", TensorLabel(g, t),
                                  " is produced by no operator"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGraph(const Graph& g) {
  if (g.tensors.size() > static_cast<size_t>(kMaxTensors)) {
    return Invalid(absl::StrCat("the graph has ", g.tensors.size(),
                                " tensors (max ", kMaxTensors, ")"));
  }
  if (g.ops.size() > static_cast<size_t>(kMaxOps)) {
    return Invalid(absl::StrCat("the graph has ", g.ops.size(),
                                " operators (max ", kMaxOps, ")"));
  }
  if (g.ops.empty()) return Invalid("the graph has no operators");
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t) {
    if (absl::Status s = CheckTensor(g, t); !s.ok()) return s;
  }
  if (absl::Status s = CheckStructure(g); !s.ok()) return s;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    if (absl::Status s = CheckOperatorShapes(g, i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace mcutune::graph
