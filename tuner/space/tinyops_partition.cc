// TinyOps partitioning.
// - DescribeTinyOp: picks the mode from the operator type and shapes, and
//   the row map (kernel, stride, top padding) with graph/op_shape_checks.h's
//   TFLite SAME/VALID arithmetic; PAD's top padding comes from its constant.
// - PartitionTinyOp: scans r = 1..U units per tiny op, computing the exact
//   largest block of each uniform split (border blocks are clipped, so they
//   are smaller); keeps the largest r that fits, then balances the split to
//   n = ceil(U / r) tiny ops of ceil(U / n) units (falling back to the
//   uniform split in the rare case balancing would not fit).
#include "tuner/space/tinyops_partition.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/op_shape_checks.h"
#include "tuner/space/plan_metrics.h"

namespace mcutune::space {
namespace {

using graph::Graph;
using graph::OpType;

// Rows and row bytes of an activation tensor: NHWC with N = 1 is a stack of
// H rows; anything else is treated as a single row.
TinyInput RowsOf(const Graph& g, int t) {
  const graph::Tensor& tensor = g.tensors[t];
  TinyInput in;
  in.tensor = t;
  if (tensor.shape.size() == 4 && tensor.shape[0] == 1 && tensor.shape[1] > 0) {
    in.rows = tensor.shape[1];
    in.row_bytes = tensor.bytes() / in.rows;
  } else {
    in.rows = 1;
    in.row_bytes = tensor.bytes();
  }
  return in;
}

// Little-endian int32/int64 constant values (validated graph).
std::vector<int64_t> ConstInts(const Graph& g, int t) {
  const std::vector<uint8_t>& data = g.data(t);
  const int size = graph::DataTypeSize(g.tensors[t].type);
  std::vector<int64_t> v;
  if (size != 4 && size != 8) return v;
  for (size_t i = 0; i + size <= data.size(); i += size) {
    uint64_t x = 0;
    for (int b = size - 1; b >= 0; --b) x = (x << 8) | data[i + b];
    v.push_back(size == 4 ? static_cast<int32_t>(x) : static_cast<int64_t>(x));
  }
  return v;
}

bool IsNhwc(const graph::Tensor& t) {
  return t.shape.size() == 4 && t.shape[0] == 1;
}

// The largest block of any input, over the tiny ops of `units_per` units.
int64_t MaxBlockBytes(const OpGeometry& g, int units_per) {
  int64_t best = 0;
  for (int u = 0; u < g.units; u += units_per) {
    const std::vector<RowSpan> rows =
        BlockRows(g, {u, std::min(g.units, u + units_per)});
    for (size_t i = 0; i < rows.size(); ++i) {
      best = std::max(best, rows[i].size() * g.inputs[i].row_bytes);
    }
  }
  return best;
}

}  // namespace

const char* TinyModeName(TinyMode mode) {
  switch (mode) {
    case TinyMode::kRows:
      return "rows";
    case TinyMode::kReduce:
      return "reduce";
    case TinyMode::kWhole:
      return "whole";
    case TinyMode::kDirect:
      return "direct";
    case TinyMode::kAlias:
      return "alias";
  }
  return "?";
}

OpGeometry DescribeTinyOp(const Graph& g, int op, bool reshape_aliases) {
  const graph::Operator& o = g.ops[op];
  OpGeometry geo;
  geo.op = op;
  const graph::Tensor& out = g.tensors[o.outputs[0]];
  const TinyInput out_rows = RowsOf(g, o.outputs[0]);
  geo.out_rows = out_rows.rows;
  geo.out_row_bytes = out_rows.row_bytes;
  geo.out_width = IsNhwc(out) ? out.shape[2] : 1;
  const int in0 = o.inputs.empty() ? -1 : o.inputs[0];
  const bool nhwc_in = in0 >= 0 && IsNhwc(g.tensors[in0]) && IsNhwc(out);

  switch (o.type) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D:
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D: {
      if (!nhwc_in) break;
      const bool conv =
          o.type == OpType::kConv2D || o.type == OpType::kDepthwiseConv2D;
      const int kh =
          conv ? g.tensors[o.inputs[1]].shape[1] : o.options.filter_h;
      const int dil = conv ? o.options.dilation_h : 1;
      const int h_in = g.tensors[in0].shape[1];
      geo.stride = o.options.stride_h;
      geo.kernel = (kh - 1) * dil + 1;
      geo.pad_top = graph::WindowPaddingBefore(h_in, kh, geo.stride, dil,
                                               o.options.padding);
      geo.inputs = {RowsOf(g, in0)};
      geo.mode = TinyMode::kRows;
      if (!conv && geo.out_rows == 1 && h_in > 1) {
        geo.reduce_span = BlockRows(geo, {0, 1})[0];  // (kRows row map)
        geo.mode = TinyMode::kReduce;
      }
      if (conv) {
        geo.filter_tensor = o.inputs[1];
        geo.filter_bytes = g.tensors[o.inputs[1]].bytes();
        geo.qparam_bytes = int64_t{out.shape[3]} * 4;
      }
      break;
    }
    case OpType::kPad: {
      if (!nhwc_in) break;
      const std::vector<int64_t> pads = ConstInts(g, o.inputs[1]);
      geo.pad_top = pads.size() >= 4 ? static_cast<int>(pads[2]) : 0;
      geo.inputs = {RowsOf(g, in0)};
      geo.mode = TinyMode::kRows;
      break;
    }
    case OpType::kAdd:
    case OpType::kSoftmax: {
      if (!(IsNhwc(out) || out.shape.size() < 4)) break;
      bool row_aligned = true;
      for (int t : o.inputs) {
        if (t < 0 || g.tensors[t].is_constant()) continue;
        const TinyInput in = RowsOf(g, t);
        row_aligned &= in.rows == geo.out_rows;
        if (!geo.inputs.empty() && geo.inputs[0].tensor == t) continue;
        geo.inputs.push_back(in);
      }
      if (row_aligned && !geo.inputs.empty() && geo.inputs.size() <= 2) {
        geo.mode = TinyMode::kRows;
      } else {
        geo.inputs.clear();
      }
      break;
    }
    case OpType::kMean: {
      if (!(in0 >= 0 && IsNhwc(g.tensors[in0]))) break;
      bool reduces_h = false;
      for (int64_t a : ConstInts(g, o.inputs[1]))
        reduces_h |= (a == 1 || a == -3);
      geo.inputs = {RowsOf(g, in0)};
      if (reduces_h) {
        geo.mode = TinyMode::kReduce;
        geo.reduce_span = {0, geo.inputs[0].rows};
      } else if (geo.out_rows == geo.inputs[0].rows) {
        geo.mode = TinyMode::kRows;  // a row-local mean (over W and/or C)
      } else {
        geo.inputs.clear();
      }
      break;
    }
    case OpType::kFullyConnected: {
      geo.inputs = {RowsOf(g, in0)};
      geo.inputs[0].row_bytes *= geo.inputs[0].rows;
      geo.inputs[0].rows = 1;
      geo.mode = TinyMode::kWhole;
      geo.filter_tensor = o.inputs[1];
      geo.filter_bytes = g.tensors[o.inputs[1]].bytes();
      break;
    }
    case OpType::kReshape:
      if (reshape_aliases) geo.mode = TinyMode::kAlias;
      break;
    default:
      break;
  }
  if (o.inputs.size() > 2 && o.inputs[2] >= 0 &&
      (o.type == OpType::kConv2D || o.type == OpType::kDepthwiseConv2D ||
       o.type == OpType::kFullyConnected)) {
    geo.bias_tensor = o.inputs[2];
    geo.bias_bytes = g.tensors[o.inputs[2]].bytes();
  }
  switch (geo.mode) {
    case TinyMode::kRows:
      geo.units = geo.out_rows;
      break;
    case TinyMode::kReduce:
      geo.units = geo.reduce_span.size();
      geo.out_rows = 1;
      break;
    default:
      geo.units = 1;
  }
  if (geo.mode == TinyMode::kRows || geo.mode == TinyMode::kReduce ||
      geo.mode == TinyMode::kWhole) {
    geo.scratch_bytes = KernelScratchBytes(g, op, /*in_place=*/false);
    if (geo.mode == TinyMode::kReduce) {
      const int64_t per = o.type == OpType::kMaxPool2D ? 1 : 4;
      geo.scratch_bytes = std::max(geo.scratch_bytes, geo.out_row_bytes * per);
    }
  }
  return geo;
}

std::vector<RowSpan> BlockRows(const OpGeometry& g, RowSpan units) {
  std::vector<RowSpan> rows;
  for (const TinyInput& in : g.inputs) {
    RowSpan r;
    switch (g.mode) {
      case TinyMode::kRows:
        r.begin = units.begin * g.stride - g.pad_top;
        r.end = (units.end - 1) * g.stride - g.pad_top + g.kernel;
        break;
      case TinyMode::kReduce:
        r = {g.reduce_span.begin + units.begin,
             g.reduce_span.begin + units.end};
        break;
      default:
        r = {0, in.rows};
    }
    r.begin = std::clamp(r.begin, 0, in.rows);
    r.end = std::clamp(r.end, r.begin, in.rows);
    rows.push_back(r);
  }
  return rows;
}

int64_t MinTinyBufferBytes(const OpGeometry& g) {
  return g.inputs.empty() ? 0 : MaxBlockBytes(g, 1);
}

absl::StatusOr<OpPartition> PartitionTinyOp(const OpGeometry& g,
                                            int64_t buffer_bytes) {
  OpPartition p;
  p.geometry = g;
  if (g.inputs.empty()) {
    p.units_per_tiny = 1;
    p.tiny.push_back(TinyOp{{0, 1}, {0, g.out_rows}, {}});
    return p;
  }
  if (MinTinyBufferBytes(g) > buffer_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("operator ", g.op, " needs a DMA buffer of ",
                     MinTinyBufferBytes(g), " B, have ", buffer_bytes, " B"));
  }
  int best = 1;
  for (int r = 2; r <= g.units; ++r) {
    if (MaxBlockBytes(g, r) <= buffer_bytes) best = r;
  }
  const int n = (g.units + best - 1) / best;
  const int balanced = (g.units + n - 1) / n;
  p.units_per_tiny =
      MaxBlockBytes(g, balanced) <= buffer_bytes ? balanced : best;

  std::vector<int> covered_to(g.inputs.size(), 0);
  for (int u = 0; u < g.units; u += p.units_per_tiny) {
    TinyOp t;
    t.units = {u, std::min(g.units, u + p.units_per_tiny)};
    if (g.mode == TinyMode::kRows) {
      t.out = t.units;
    } else if (t.units.end == g.units) {
      t.out = {0, g.out_rows};  // the last partial sum completes the output
    }
    t.in = BlockRows(g, t.units);
    for (size_t i = 0; i < t.in.size(); ++i) {
      const int64_t bytes = t.in[i].size() * g.inputs[i].row_bytes;
      p.max_block_bytes = std::max(p.max_block_bytes, bytes);
      p.dma_in_bytes += bytes;
      // Blocks advance monotonically: rows below covered_to were copied
      // before, so they are halo re-reads.
      const int fresh_from = std::max(t.in[i].begin, covered_to[i]);
      const int fresh = std::max(0, t.in[i].end - fresh_from);
      p.halo_bytes += bytes - fresh * g.inputs[i].row_bytes;
      covered_to[i] = std::max(covered_to[i], t.in[i].end);
    }
    p.tiny.push_back(std::move(t));
  }
  return p;
}

}  // namespace mcutune::space
