// TinyOps reductions over H: a probe graph whose three outputs reduce one
// 20x20x48 activation (global AVERAGE_POOL_2D, a one-row MAX_POOL_2D with a
// SAME window whose stride covers H, and MEAN over H and W) is planned with
// SRAM budgets small enough that the reductions run over several DMA blocks.
// Each block is folded into the op's SRAM accumulator where the DMA put it
// (mcuk_*_rows, never the whole input from external RAM) and the last one
// writes the output (mcuk_*_finish). The code must be bit-exact with the
// reference interpreter on the host, for every budget and both
// requantization modes, and on QEMU (Cortex-M7 f746, Cortex-M33 l552).
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "codegen/builder.h"
#include "codegen/emitter.h"
#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"
#include "tests/codegen/qemu_testing.h"
#include "tests/graph/probe_graphs.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/qemu_tools.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"

namespace mcutune::codegen {
namespace {

namespace fs = std::filesystem;
using ::mcutune::testing::ProbeBuilder;
using ::mcutune::testing::Q;
using graph::OpType;

graph::Graph Reductions() {
  ProbeBuilder b("tinyops_reductions");
  const int x = b.Input("x", {1, 20, 20, 16}, Q(0.05f, -3));
  const graph::Quantization wq = ::mcutune::testing::PerChannel(48, 0.01f, 0);
  const int w = b.Int8Const("conv/weights", {48, 1, 1, 16}, wq);
  graph::Quantization bq = wq;
  for (float& s : bq.scale) s *= 0.05f;
  const int bias =
      b.Int32Const("conv/bias", {48}, ::mcutune::testing::BiasValues(48), bq);
  const int conv = b.Act("conv", {1, 20, 20, 48}, Q(0.04f, 5));
  b.Op(OpType::kConv2D, {x, w, bias}, conv, graph::OpOptions{});

  graph::OpOptions avg;
  avg.padding = graph::Padding::kValid;
  avg.filter_h = avg.filter_w = 20;
  const int gap = b.Act("gap", {1, 1, 1, 48}, Q(0.04f, 5));
  b.Op(OpType::kAveragePool2D, {conv}, gap, avg);

  graph::OpOptions mx;  // rows [0, 20) of a 21-row window, 10 columns
  mx.padding = graph::Padding::kSame;
  mx.filter_h = 21, mx.stride_h = 20;
  mx.filter_w = 3, mx.stride_w = 2;
  mx.activation = graph::Activation::kRelu6;
  const int mp = b.Act("max", {1, 1, 10, 48}, Q(0.04f, 5));
  b.Op(OpType::kMaxPool2D, {conv}, mp, mx);

  const int axes = b.Int32Const("mean/axes", {2}, {1, 2});
  graph::OpOptions mo;
  mo.keep_dims = false;
  const int mean = b.Act("mean", {1, 48}, Q(0.02f, -7));
  b.Op(OpType::kMean, {conv, axes}, mean, mo);
  return b.Finish({gap, mp, mean});
}

space::Plan TinyOpsPlan(const graph::Graph& g, const std::string& board_id,
                        int64_t budget) {
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(board_id);
  REQUIRE(board.ok());
  space::Constraints cons;
  cons.search_execution_order = false;
  const space::PlanningContext ctx =
      space::MakePlanningContext(g, *board, cons);
  space::Candidate c;
  c.strategy = space::Strategy::kTinyOps;
  c.tinyops_sram_budget = budget;
  absl::StatusOr<space::Plan> p = space::PlanCandidate(ctx, c);
  INFO("budget " << budget << ": " << p.status().ToString());
  REQUIRE(p.ok());
  REQUIRE(p->metrics.fits);
  return *std::move(p);
}

// Calls of `fn`_rows that continue an accumulator (first = 0).
int PartialCalls(const EmittedModel& m, const std::string& fn) {
  const std::regex re(fn + R"(_rows\(.*, 0, \((int8_t|int32_t)\*\))");
  int n = 0;
  for (const EmittedFile& f : m.files) {
    n += static_cast<int>(std::distance(
        std::sregex_iterator(f.text.begin(), f.text.end(), re),
        std::sregex_iterator()));
  }
  return n;
}

const std::vector<int64_t> kBudgets = {12 * 1024, 24 * 1024, 48 * 1024};

TEST_CASE("tinyops reductions over H fold DMA blocks and are bit-exact on "
          "the host", "[emitter][tinyops]") {
  const graph::Graph g = Reductions();
  std::vector<space::Plan> plans;
  for (int64_t budget : kBudgets) {
    plans.push_back(TinyOpsPlan(g, "qemu-f746", budget));
    INFO("budget " << budget);
    absl::StatusOr<EmittedModel> m = EmitModel(g, plans.back(), {});
    REQUIRE(m.ok());
    // Every reduction split over blocks (7, 4 and 2 of them at 960 B per
    // row): calls that continue an accumulator.
    const int want = budget == kBudgets[0] ? 6 : 1;
    CHECK(PartialCalls(*m, "mcuk_avg_pool") >= want);
    CHECK(PartialCalls(*m, "mcuk_max_pool") >= want);
    CHECK(PartialCalls(*m, "mcuk_mean_hw") >= want);
  }
  plans.push_back(TinyOpsPlan(g, "qemu-l552", kBudgets[0]));
  testing::CheckBitExactBothModes(g, plans,
                                  {GoldenInputs(g, 1), GoldenInputs(g, 7)},
                                  "tinyops reductions");
}

TEST_CASE("tinyops reductions over H are bit-exact on QEMU (M7, M33)",
          "[emitter][qemu][tinyops]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph g = Reductions();
  for (const char* board_id : {"qemu-f746", "qemu-l552"}) {
    const graph::RequantMode mode = std::string(board_id) == "qemu-f746"
                                        ? graph::RequantMode::kSingleRounding
                                        : graph::RequantMode::kDoubleRounding;
    const space::Plan plan = TinyOpsPlan(g, board_id, kBudgets[0]);
    absl::StatusOr<space::BoardSpec> board = space::FindBoard(board_id);
    REQUIRE(board.ok());
    BuilderOptions bo;
    bo.requant = mode;
    bo.work_dir = ::mcutune::testing::MakeTempDir("mcutune_tinyops_reduce");
    absl::StatusOr<ModelBuild> b = MakeBuilder(g, bo)->Build(plan, *board);
    REQUIRE(b.ok());
    INFO(board_id << " " << b->stage << " " << b->error << "\n"
                  << b->firmware.log.substr(0, 3000));
    REQUIRE(b->ok);
    CHECK(testing::RunOnBoardQemu(b->firmware.elf_path, *board)
              .output_sha256 ==
          testing::ReferenceOutputsHash(g, GoldenInputs(g, 1), mode));
    fs::remove_all(bo.work_dir);
  }
}

}  // namespace
}  // namespace mcutune::codegen
