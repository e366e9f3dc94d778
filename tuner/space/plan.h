// The values of the design space: a Candidate (how to deploy), the Plan a
// planner makes of it (schedule + static memory plan) and its Metrics.
//
//   Graph + BoardSpec + Constraints
//        │ Enumerate (enumerate.h): one Candidate per point of the space
//        ▼
//   Candidate {strategy, n_patch, split_idx, stage modes, in-place dw, order}
//        │ planner of its family (layer-wise, patch/stream, tinyops)
//        ▼
//   Plan {candidate, steps[], buffers[], MemoryBreakdown, Metrics}
//        │ CheckMemoryPlan (plan_checker.h) validates it independently
//        ▼
//   ParetoFront (pareto.h), cost model, code generator
//
// Conventions shared by every planner:
// - A Plan is a straight-line schedule: `steps` in the order they run. Step
//   indices are the time axis of buffer lifetimes.
// - SRAM is one address space [0, peak_sram_bytes) laid out as
//     [ arena | stream buffers | overlay buffers | kernel scratch ]
//   Buffer::offset is absolute in that space for Memory::kSram buffers, and
//   absolute in [0, ext_ram_bytes) / [0, ext_flash_bytes) for the external
//   memories. Two buffers of the same memory whose [first_step, last_step]
//   intersect never overlap in address range unless one is alias_of the
//   other (in-place operators).
// - All byte figures are int8 activations (1 byte per element).
// Everything here is a plain copyable value; functions are thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_PLAN_H_
#define MCUTUNE_TUNER_SPACE_PLAN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mcutune::space {

// Execution strategy families. Names are the CLI spelling
// (`mcutune plan --strategy NAME`).
enum class Strategy {
  kLayerwise,  // "layerwise": one operator at a time, whole tensors
  kPatch,      // "patch": MCUNetV2 patch stage with recomputation
  kStream1D,   // "stream1d": patch stage with column stream buffers
  kStream2D,   // "stream2d": column + line buffers, no recomputation
  kHybrid,     // "hybrid": per-operator StageMode in the patch stage
  kTinyOps,    // "tinyops": external memory, H-partitioned operators + DMA
};
const char* StrategyName(Strategy strategy);
// INVALID_ARGUMENT listing the valid names.
absl::StatusOr<Strategy> ParseStrategy(std::string_view name);
std::vector<Strategy> AllStrategies();

// How one patch-stage operator of a hybrid schedule handles the overlap with
// its neighbouring patches.
enum class StageMode {
  kRecompute,  // "recompute": as patch-based inference
  kStream1D,   // "stream1d": column buffer, recompute along y
  kStream2D,   // "stream2d": column + line buffer, nothing recomputed
};
const char* StageModeName(StageMode mode);
absl::StatusOr<StageMode> ParseStageMode(std::string_view name);

// Where an execution order came from.
enum class OrderSource {
  kModel,        // "model": the stored order of Graph::ops
  kExactSearch,  // "exact": minimum-peak order from the exact search
  kHeuristic,    // "heuristic": greedy order (exact search over its limit)
};
const char* OrderSourceName(OrderSource source);

struct ExecutionOrder {
  // A topological order of Graph::ops (every op exactly once). Empty means
  // the model order 0..N-1.
  std::vector<int> ops;
  OrderSource source = OrderSource::kModel;
  // True when the search proved no order has a lower peak (the model order is
  // never marked proven unless the exact search returned it).
  bool proven_optimal = false;
  // The activation peak (live bytes, in-place aware) the search optimised.
  int64_t searched_peak_bytes = 0;
};

// One point of the design space. A value: equal candidates plan equally.
struct Candidate {
  Strategy strategy = Strategy::kLayerwise;
  // Patch grid (n_patch x n_patch) and split (count of CONV_2D,
  // DEPTHWISE_CONV_2D and ADD operators in the patch stage, PAD not counted;
  // see PATCH_BASED.md). 1 and 0 for layer-wise and tinyops.
  int n_patch = 1;
  int split_idx = 0;
  // kHybrid only: one mode per counted patch-stage operator (split_idx
  // entries, in execution order; entries of ADD operators are ignored).
  // Empty for the other strategies.
  std::vector<StageMode> stage_modes;
  // Depthwise convolutions with channels in == out (multiplier 1) overwrite
  // their input channel by channel (a one-channel temporary as scratch):
  // the output buffer is saved, but the scalar channel-by-channel kernel
  // runs ~1.8x slower per MAC than the out-of-place one, a memory / speed
  // trade-off. `inplace_depthwise` covers the whole-tensor operators: every
  // operator of a layer-wise candidate, the operators outside the patch
  // stage (the layer-wise part) of a patch-family candidate.
  bool inplace_depthwise = true;
  // Patch family only (ignored elsewhere): the same for the per-patch
  // depthwise operators inside the patch stage.
  bool inplace_depthwise_stage = true;
  ExecutionOrder order;
  // kTinyOps only: SRAM bytes the partitioner may use (0 = board's free SRAM).
  int64_t tinyops_sram_budget = 0;

  // Stable readable identifier, unique within one Enumerate() result, e.g.
  // "layerwise", "layerwise-noip", "layerwise-oexact", "patch-n2-s5",
  // "hybrid-n2-s5-r12r2" (modes r/1/2 per stage op), "tinyops-b131072".
  // In-place suffixes: "-noip" (no depthwise operator in place), patch
  // family also "-noip-lw" (in place inside the stage only) and
  // "-noip-stage" (in place outside the stage only).
  std::string Id() const;
};

enum class Memory { kSram, kExtRam, kExtFlash };
const char* MemoryName(Memory memory);  // "sram", "ext_ram", "ext_flash"

enum class BufferKind {
  kActivation,  // a whole graph tensor
  kPatch,       // a per-patch slice of a patch-stage tensor
  kStream,      // a stream (column / line) buffer of a patch-stage layer
  kOverlay,     // filters / bias / quantization params copied to SRAM
  kDma,         // a ping-pong DMA buffer for a tiny tensor
  kScratch,     // kernel scratch (im2col, in-place depthwise channel temp)
  kConstant,    // weights / biases / requantization arrays kept in external
                // memory (tinyops); never in the SRAM arena
};
const char* BufferKindName(BufferKind kind);

struct Buffer {
  int id = 0;  // index in Plan::buffers
  std::string name;
  BufferKind kind = BufferKind::kActivation;
  int tensor = -1;  // graph tensor index, -1 when not a graph tensor
  int64_t bytes = 0;
  int64_t offset = 0;  // absolute in its memory (see the layout above)
  int first_step = 0;  // inclusive
  int last_step = 0;   // inclusive
  // The buffer whose storage this one reuses (same offset range or inside
  // it), e.g. the output of an in-place depthwise convolution; -1 if none.
  int alias_of = -1;
  Memory memory = Memory::kSram;
};

// A rectangle of an operator's output in full-tensor coordinates:
// rows [y0, y1) x columns [x0, x1), all channels.
struct Region {
  int y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  int64_t area() const { return int64_t{y1 - y0} * (x1 - x0); }
};

enum class StepKind {
  kKernel,  // one kernel invocation of `op`
  kCopy,    // a data move (DMA / memcpy) from reads[0] to writes[0]
};

// One entry of the straight-line schedule.
struct Step {
  StepKind kind = StepKind::kKernel;
  int op = -1;      // graph operator index
  int patch = -1;   // patch index (row-major in the grid) or -1
  Region output;    // what this step computes (or copies) in full
  int64_t macs = 0; // MACs this step performs (recomputation included)
  std::vector<int> reads;   // Buffer ids
  std::vector<int> writes;  // Buffer ids
};

// SRAM accounting of a plan. peak_sram_bytes = arena + stream + overlay +
// scratch; the board-fit check adds the board's runtime reserve.
struct MemoryBreakdown {
  int64_t arena_bytes = 0;           // activations / patch buffers
  int64_t stream_buffer_bytes = 0;
  int64_t overlay_buffer_bytes = 0;  // overlays + DMA buffers
  int64_t scratch_bytes = 0;         // max kernel scratch over the steps
  int64_t peak_sram_bytes = 0;
  // The reference first-fit allocator of PATCH_BASED.md on the same
  // schedule (activations only, no scratch), for published comparisons.
  int64_t reference_arena_bytes = 0;
  // Max over steps of the arena bytes simultaneously live (aliases counted
  // once): no arena can be smaller. gap = arena_bytes - lower bound.
  int64_t live_lower_bound_bytes = 0;
  int64_t lower_bound_gap_bytes = 0;
  std::string arena_heuristic;  // which placement order won (arena_planner.h)
};

struct Metrics {
  int64_t macs_total = 0;
  // MACs of the first split_idx operators as this schedule runs them (all
  // patches); 0 for layer-wise.
  int64_t macs_patch_stage = 0;
  // MACs beyond the layer-wise MACs of the same operators.
  int64_t macs_recomputed = 0;
  int64_t kernel_calls = 0;
  // Patch family: 2-D copies of the stream buffers per inference (what the
  // code generator emits; PatchGeometry::StreamCopies). 0 otherwise.
  int64_t stream_copies = 0;
  // Flash: weights_bytes (every distinct constant buffer kept internal)
  // + code_bytes (estimate of the code, kernel library, parameter structs
  // and requantization arrays; see EstimateCodeBytes in plan_metrics.h).
  int64_t weights_bytes = 0;
  int64_t code_bytes = 0;
  int64_t flash_bytes = 0;  // internal flash only
  int64_t ext_ram_bytes = 0;
  int64_t ext_flash_bytes = 0;
  // Bytes moved to/from external memory per inference.
  int64_t ext_ram_read_bytes = 0;
  int64_t ext_ram_write_bytes = 0;
  int64_t ext_flash_read_bytes = 0;
  int64_t ext_traffic_bytes = 0;  // sum of the three above
  int64_t dma_transfers = 0;
  bool fits = false;
  std::string fit_reason;  // why it does not fit; empty when it fits
};

struct Plan {
  Candidate candidate;
  std::string board_id;
  std::vector<Step> steps;
  std::vector<Buffer> buffers;
  MemoryBreakdown memory;
  Metrics metrics;
};

// Limits of one tuning request. Every field defaulted.
struct Constraints {
  int64_t sram_budget = 0;   // bytes; 0 = the board's usable SRAM
  int64_t flash_budget = 0;  // bytes; 0 = the board's usable flash
  bool allow_external_memory = true;  // tinyops on boards that have it
  int max_n_patch = 8;
  // Execution-order search (execution_order.h).
  bool search_execution_order = true;
  int64_t order_search_max_states = 2'000'000;
  double order_search_time_limit_s = 2.0;
  // Keep candidates that do not fit in Enumerate's result (marked
  // fits = false) instead of dropping them.
  bool keep_unfit = true;
  // Keep every Plan's steps and buffers. When false, Enumerate (and the
  // planners, which may then skip building buffer names and step
  // reads/writes) return plans with empty `steps` and `buffers`: candidate,
  // MemoryBreakdown and Metrics are computed exactly as with full plans.
  // For space exploration of large networks; codegen, `plan` and
  // CheckMemoryPlan need full plans.
  bool keep_plan_details = true;
};

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PLAN_H_
