// TinyOps family: partition arithmetic on hand-computed cases, the traffic
// model on a one-operator plan, budget monotonicity, availability, and
// memory-plan checks on the zoo and on a real MobileNetV2.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tests/graph/probe_graphs.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/enumerate.h"
#include "tuner/space/layerwise_planner.h"
#include "tuner/space/plan_checker.h"
#include "tuner/space/tinyops_partition.h"
#include "tuner/space/tinyops_planner.h"

namespace mcutune::space {
namespace {

namespace fs = std::filesystem;
using graph::Graph;
using graph::OpType;
using testing::ProbeBuilder;
using testing::Q;

// One depthwise 3x3 (multiplier 1, scratch-free kernel) on [1, h, w, c].
Graph Depthwise(int h, int w, int c, int stride, graph::Padding padding,
                int h_out, int w_out) {
  ProbeBuilder b("dw");
  const int in = b.Input("input", {1, h, w, c}, Q(0.1f, 0));
  const graph::Quantization wq = testing::PerChannel(c, 0.02f, 3);
  const int f = b.Int8Const("dw/weights", {1, 3, 3, c}, wq);
  graph::Quantization bq = wq;
  bq.quantized_dimension = 0;
  const int bias = b.Int32Const("dw/bias", {c}, testing::BiasValues(c), bq);
  const int out = b.Act("dw", {1, h_out, w_out, c}, Q(0.2f, 0));
  graph::OpOptions o;
  o.padding = padding;
  o.stride_h = o.stride_w = stride;
  b.Op(OpType::kDepthwiseConv2D, {in, f, bias}, out, o);
  return b.Finish(out);
}

BoardSpec Board(const std::string& id) {
  absl::StatusOr<BoardSpec> board = FindBoard(id);
  REQUIRE(board.ok());
  return *board;
}

Constraints NoOrderSearch() {
  Constraints c;
  c.search_execution_order = false;
  return c;
}

// kCopy steps that move activation rows (not constants) and kernel calls.
int64_t BlockCopies(const Plan& plan) {
  int64_t n = 0;
  for (const Step& s : plan.steps) {
    n += s.kind == StepKind::kCopy &&
         plan.buffers[s.reads[0]].kind == BufferKind::kActivation;
  }
  return n;
}

Plan MustPlan(const PlanningContext& ctx, int64_t budget) {
  Candidate c;
  c.strategy = Strategy::kTinyOps;
  c.tinyops_sram_budget = budget;
  absl::StatusOr<Plan> plan = PlanTinyOps(ctx, c);
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  const absl::Status check = CheckMemoryPlan(*plan);
  INFO(check.ToString());
  CHECK(check.ok());
  return *std::move(plan);
}

TEST_CASE("tinyops partition: 3x3 stride 1 SAME, halo rows re-read",
          "[tinyops]") {
  // 8x8x4: 32 B per row; SAME pads one row on top and bottom.
  const Graph g = Depthwise(8, 8, 4, 1, graph::Padding::kSame, 8, 8);
  const OpGeometry geo = DescribeTinyOp(g, 0);
  CHECK(geo.mode == TinyMode::kRows);
  CHECK(geo.kernel == 3);
  CHECK(geo.stride == 1);
  CHECK(geo.pad_top == 1);
  CHECK(geo.units == 8);
  CHECK(MinTinyBufferBytes(geo) == 3 * 32);  // interior row: 3 input rows

  struct Case {
    int64_t buffer;
    int rows, tiny;
    int64_t dma, halo, max_block;
  };
  // buffer 100: 1 row each; input rows 2,3,3,3,3,3,3,2 = 22 rows.
  // buffer 128: 2 rows each; [0,3) [1,5) [3,7) [5,8) = 14 rows.
  // buffer 160: 4 rows each (5 would need 6 input rows); [0,5) [3,8).
  // buffer 256: the whole tensor in one tiny op.
  for (const Case& c : {Case{100, 1, 8, 22 * 32, 14 * 32, 96},
                        Case{128, 2, 4, 14 * 32, 6 * 32, 128},
                        Case{160, 4, 2, 10 * 32, 2 * 32, 160},
                        Case{256, 8, 1, 8 * 32, 0, 256}}) {
    INFO("buffer " << c.buffer);
    absl::StatusOr<OpPartition> p = PartitionTinyOp(geo, c.buffer);
    REQUIRE(p.ok());
    CHECK(p->units_per_tiny == c.rows);
    CHECK(static_cast<int>(p->tiny.size()) == c.tiny);
    CHECK(p->dma_in_bytes == c.dma);
    CHECK(p->halo_bytes == c.halo);
    CHECK(p->max_block_bytes == c.max_block);
  }
  absl::StatusOr<OpPartition> p = PartitionTinyOp(geo, 128);
  REQUIRE(p.ok());
  CHECK(p->tiny[1].out.begin == 2);
  CHECK(p->tiny[1].out.end == 4);
  CHECK(p->tiny[1].in[0].begin == 1);
  CHECK(p->tiny[1].in[0].end == 5);
  CHECK(PartitionTinyOp(geo, 95).status().code() ==
        absl::StatusCode::kResourceExhausted);
}

TEST_CASE("tinyops partition: 3x3 stride 2 SAME on an odd height",
          "[tinyops]") {
  // 9x8x3 -> 5x4x3; SAME total padding (5-1)*2+3-9 = 2, one row on top.
  // Output row y needs input rows [2y-1, 2y+2): 2,3,3,3,2 rows of 24 B.
  const Graph g = Depthwise(9, 8, 3, 2, graph::Padding::kSame, 5, 4);
  const OpGeometry geo = DescribeTinyOp(g, 0);
  CHECK(geo.pad_top == 1);
  absl::StatusOr<OpPartition> p = PartitionTinyOp(geo, 72);
  REQUIRE(p.ok());
  CHECK(p->tiny.size() == 5);
  CHECK(p->dma_in_bytes == 13 * 24);
  CHECK(p->halo_bytes == 4 * 24);  // one shared row between neighbours
  // 4 input rows for 2 output rows: [0,2) -> [0,4), [2,4) -> [3,8), [4,5).
  p = PartitionTinyOp(geo, 5 * 24);
  REQUIRE(p.ok());
  CHECK(p->tiny.size() == 3);
  CHECK(p->dma_in_bytes == (4 + 5 + 2) * 24);
}

// One AVERAGE_POOL_2D on [1, h, w, c] with a filter_h x w window, VALID,
// so the output has one row when filter_h == h.
Graph Pool(int h, int w, int c, int filter_h) {
  ProbeBuilder b("pool");
  const int in = b.Input("input", {1, h, w, c}, Q(0.1f, 0));
  const int out = b.Act("pool", {1, h - filter_h + 1, 1, c}, Q(0.1f, 0));
  graph::OpOptions o;
  o.padding = graph::Padding::kValid;
  o.filter_h = filter_h;
  o.filter_w = w;
  b.Op(OpType::kAveragePool2D, {in}, out, o);
  return b.Finish(out);
}

TEST_CASE("tinyops partition: global pooling folds every input row",
          "[tinyops]") {
  // 7x7x16 -> 1x1x16: 112 B per input row, all 7 rows reduced.
  const OpGeometry geo = DescribeTinyOp(Pool(7, 7, 16, 7), 0);
  CHECK(geo.mode == TinyMode::kReduce);
  CHECK(geo.reduce_span.begin == 0);
  CHECK(geo.reduce_span.end == 7);
  CHECK(geo.units == 7);
  CHECK(geo.scratch_bytes >= 16 * 4);  // int32 accumulator per channel
  // At most 3 rows per block: ceil(7 / 3) = 3 blocks, each row read once.
  absl::StatusOr<OpPartition> p = PartitionTinyOp(geo, 3 * 112);
  REQUIRE(p.ok());
  CHECK(p->tiny.size() == 3);
  CHECK(p->dma_in_bytes == 7 * 112);
  CHECK(p->tiny.back().in[0].end == 7);
  // Not a reduction when the window leaves more than one output row.
  CHECK(DescribeTinyOp(Pool(7, 7, 16, 3), 0).mode == TinyMode::kRows);
}

TEST_CASE("tinyops plan: steps, traffic and SRAM of one operator",
          "[tinyops]") {
  const Graph g = Depthwise(8, 8, 4, 1, graph::Padding::kSame, 8, 8);
  const PlanningContext ctx =
      MakePlanningContext(g, Board("f746"), NoOrderSearch());
  // Bias 4 x int32 = 16 B, qmul/qshift 16 B each: 48 B fixed. Budget
  // 48 + 4 x 128: B_max = 128 -> 2 rows per tiny op, 4 tiny ops.
  const Plan plan = MustPlan(ctx, 48 + 4 * 128);
  CHECK(MinTinyOpsBudget(g) == 48 + 4 * 96);
  CHECK(plan.metrics.kernel_calls == 4);
  // bias + qmul + qshift + filter (36 B fits the spare buffer B0) + 4 blocks.
  CHECK(plan.metrics.dma_transfers == 8);
  CHECK(plan.metrics.ext_ram_read_bytes == 14 * 32);
  CHECK(plan.metrics.ext_ram_write_bytes == 8 * 8 * 4);
  CHECK(plan.metrics.ext_flash_read_bytes == 16 + 2 * 16 + 36);
  CHECK(plan.metrics.ext_traffic_bytes == 14 * 32 + 256 + 84);
  CHECK(plan.metrics.ext_flash_bytes == 36 + 16 + 32);
  CHECK(plan.metrics.ext_ram_bytes == 2 * 256);  // input and output live
  CHECK(plan.metrics.macs_total == 8 * 8 * 4 * 9);
  CHECK(plan.metrics.weights_bytes == 0);
  CHECK(plan.metrics.flash_bytes == plan.metrics.code_bytes);
  CHECK(plan.memory.peak_sram_bytes == 4 * 128 + 48);
  CHECK(plan.memory.arena_bytes == 0);
  CHECK(plan.metrics.fits);
  std::vector<int> rows;
  int64_t macs = 0;
  for (const Step& s : plan.steps) {
    if (s.kind != StepKind::kKernel) continue;
    rows.push_back(s.output.y0);
    rows.push_back(s.output.y1);
    macs += s.macs;
  }
  CHECK(rows == std::vector<int>{0, 2, 2, 4, 4, 6, 6, 8});
  CHECK(macs == plan.metrics.macs_total);

  // A roomier budget: B_max = 238 -> 2 tiny ops of 4 rows (5 input rows).
  const Plan roomy = MustPlan(ctx, 1000);
  CHECK(roomy.metrics.kernel_calls == 2);
  CHECK(roomy.metrics.ext_ram_read_bytes == 10 * 32);
  CHECK(roomy.memory.peak_sram_bytes == 4 * 160 + 48);

  Candidate tiny;
  tiny.strategy = Strategy::kTinyOps;
  tiny.tinyops_sram_budget = MinTinyOpsBudget(g) - 1;
  CHECK(PlanTinyOps(ctx, tiny).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("tinyops: no candidates without external memory", "[tinyops]") {
  const Graph g = Depthwise(8, 8, 4, 1, graph::Padding::kSame, 8, 8);
  for (const char* id : {"f767", "h743", "l4r5", "qemu-f767"}) {
    INFO(id);
    const PlanningContext ctx = MakePlanningContext(g, Board(id), {});
    CHECK(MakeTinyOpsFamily()->Candidates(ctx).empty());
    Candidate c;
    c.strategy = Strategy::kTinyOps;
    CHECK(PlanTinyOps(ctx, c).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  }
  Constraints forbid;
  forbid.allow_external_memory = false;
  const PlanningContext f746 = MakePlanningContext(g, Board("f746"), forbid);
  CHECK(MakeTinyOpsFamily()->Candidates(f746).empty());
  const PlanningContext allowed = MakePlanningContext(g, Board("f746"), {});
  CHECK(MakeTinyOpsFamily()->Candidates(allowed).size() == 4);
}

TEST_CASE("tinyops: smaller budgets cost more calls and transfers",
          "[tinyops]") {
  absl::StatusOr<graph::zoo::ZooEntry> entry =
      graph::zoo::FindInZoo("mcunet-in1");
  REQUIRE(entry.ok());
  absl::StatusOr<Graph> g = graph::zoo::Synthesize(entry->arch, 1);
  REQUIRE(g.ok());
  const PlanningContext ctx =
      MakePlanningContext(*g, Board("f746"), NoOrderSearch());
  const int64_t usable = ctx.board.usable_sram_bytes();
  Plan prev;
  bool first = true;
  const int64_t min_budget = MinTinyOpsBudget(*g);
  CHECK(min_budget < usable / 4);
  for (int64_t budget : {usable, usable / 2, usable / 3, usable / 4, usable / 6,
                         usable / 8, min_budget}) {
    if (budget < min_budget) continue;
    INFO("budget " << budget);
    const Plan plan = MustPlan(ctx, budget);
    CHECK(plan.memory.peak_sram_bytes <= budget);
    CHECK(plan.metrics.macs_total == ctx.analysis.macs_total);
    CHECK(plan.metrics.macs_recomputed == 0);
    if (!first) {
      // Block copies and kernel calls only grow. Total transfers may dip by
      // a filter copy when a smaller overlay stops holding that filter (it
      // is then streamed by the kernel: more flash traffic, one DMA less).
      CHECK(plan.metrics.kernel_calls >= prev.metrics.kernel_calls);
      CHECK(BlockCopies(plan) >= BlockCopies(prev));
      CHECK(plan.metrics.ext_ram_read_bytes >= prev.metrics.ext_ram_read_bytes);
      CHECK(plan.metrics.ext_traffic_bytes >= prev.metrics.ext_traffic_bytes);
    }
    prev = plan;
    first = false;
  }
  const Plan big = MustPlan(ctx, usable);
  const Plan small = MustPlan(ctx, usable / 4);
  CHECK(small.metrics.kernel_calls > big.metrics.kernel_calls);
  CHECK(small.metrics.dma_transfers > big.metrics.dma_transfers);
}

TEST_CASE("tinyops: every zoo network plans and checks on f746 and l552",
          "[tinyops]") {
  absl::StatusOr<std::vector<graph::zoo::ZooEntry>> zoo = graph::zoo::ListZoo();
  REQUIRE(zoo.ok());
  REQUIRE(zoo->size() >= 10);
  for (const graph::zoo::ZooEntry& entry : *zoo) {
    INFO(entry.arch.name);
    absl::StatusOr<Graph> g = graph::zoo::Synthesize(entry.arch, 1);
    REQUIRE(g.ok());
    for (const char* id : {"f746", "qemu-f746", "l552"}) {
      INFO(id);
      const PlanningContext ctx =
          MakePlanningContext(*g, Board(id), NoOrderSearch());
      const std::vector<Candidate> candidates =
          MakeTinyOpsFamily()->Candidates(ctx);
      const bool l552 = std::string(id) == "l552";
      // l552: 180 KB usable SRAM; 7x7 depthwise scratch can exceed it.
      CHECK((l552 || !candidates.empty()));
      for (const Candidate& c : candidates) {
        INFO(c.Id());
        absl::StatusOr<Plan> plan = PlanTinyOps(ctx, c);
        REQUIRE(plan.ok());
        const absl::Status check = CheckMemoryPlan(*plan);
        INFO(check.ToString());
        CHECK(check.ok());
        CHECK(plan->memory.peak_sram_bytes <= c.tinyops_sram_budget);
        CHECK(plan->metrics.weights_bytes == 0);
        CHECK(plan->metrics.macs_total == ctx.analysis.macs_total);
        // l552 has no QSPI flash: the weights join the activations in RAM.
        CHECK((plan->metrics.ext_flash_bytes == 0) == l552);
        // l552's 2 MB external SRAM holds activations and weights, which
        // the larger MobileNetV2s exceed.
        CHECK((plan->metrics.fits ||
               (l552 && plan->metrics.fit_reason.find("external RAM") !=
                            std::string::npos)));
      }
    }
  }
}

TEST_CASE("tinyops: enumerate includes the family on f746 only", "[tinyops]") {
  const Graph g = Depthwise(8, 8, 4, 1, graph::Padding::kSame, 8, 8);
  auto count = [&](const std::string& board) {
    absl::StatusOr<SpaceResult> space = Enumerate(g, Board(board), {});
    REQUIRE(space.ok());
    int n = 0;
    for (const Plan& p : space->plans) {
      n += p.candidate.strategy == Strategy::kTinyOps;
    }
    return n;
  };
  CHECK(count("f746") > 0);
  CHECK(count("f767") == 0);
}

TEST_CASE("tinyops: MobileNetV2 224 fits f746 only with external memory",
          "[tinyops][shared]") {
  const fs::path model = fs::path(MCUTUNE_SHARED_DIR) / "models" /
                         "mobilenet_v2_quantized_1x3x224x224.tflite";
  if (!fs::exists(model)) {
    WARN("SKIPPED: " << model.string()
                     << " not found (a user's clone has no ../shared)");
    return;
  }
  absl::StatusOr<Graph> g = graph::ImportTfliteFile(model.string());
  REQUIRE(g.ok());
  const PlanningContext ctx =
      MakePlanningContext(*g, Board("f746"), NoOrderSearch());
  Candidate layerwise;
  absl::StatusOr<Plan> lw = PlanLayerwise(ctx, layerwise);
  REQUIRE(lw.ok());
  CHECK_FALSE(lw->metrics.fits);

  const std::vector<Candidate> candidates =
      MakeTinyOpsFamily()->Candidates(ctx);
  REQUIRE(!candidates.empty());
  for (const Candidate& c : candidates) {
    INFO(c.Id());
    absl::StatusOr<Plan> plan = PlanTinyOps(ctx, c);
    REQUIRE(plan.ok());
    CHECK(CheckMemoryPlan(*plan).ok());
    CHECK(plan->metrics.fits);
    CHECK(plan->metrics.ext_flash_bytes >= ctx.analysis.params_bytes);
    CHECK(plan->metrics.ext_ram_bytes >= 1'000'000);
    CHECK(plan->memory.peak_sram_bytes <= c.tinyops_sram_budget);
  }
}

}  // namespace
}  // namespace mcutune::space
