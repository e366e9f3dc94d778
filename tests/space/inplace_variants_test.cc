// In-place depthwise as a candidate parameter of the patch family: which
// variants the family lists, that their plans are exact (a separate output
// buffer wherever a depthwise convolution runs out of place, checked by
// CheckMemoryPlan; aliases only where it runs in place) and that they
// compute what layer-wise execution computes (schedule simulator).
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "graph/zoo/prng.h"
#include "tests/space/space_test_graphs.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/patch_planner.h"
#include "tuner/space/plan_checker.h"
#include "tuner/space/schedule_simulator.h"

namespace mcutune::space {
namespace {

using testing::ZooGraph;

PlanningContext Context(const graph::Graph& g) {
  BoardSpec board;
  board.id = "test";
  board.sram_bytes = 512 * 1024;
  board.flash_bytes = 2 * 1024 * 1024;
  Constraints c;
  c.search_execution_order = false;
  return MakePlanningContext(g, board, c);
}

Candidate Make(Strategy s, int n, int split, bool whole_ip, bool stage_ip) {
  Candidate c;
  c.strategy = s;
  c.n_patch = n;
  c.split_idx = split;
  c.inplace_depthwise = whole_ip;
  c.inplace_depthwise_stage = stage_ip;
  return c;
}

// Depthwise operators whose output buffers alias their input's, split by
// where they run: per patch (kPatch buffers) or whole.
struct Aliased {
  std::set<int> stage, whole;
};

Aliased AliasedDepthwise(const graph::Graph& g, const Plan& plan) {
  std::vector<int> producer(g.tensors.size(), -1);
  for (int op = 0; op < static_cast<int>(g.ops.size()); ++op) {
    producer[g.ops[op].outputs[0]] = op;
  }
  Aliased a;
  for (const Buffer& b : plan.buffers) {
    if (b.alias_of < 0 || b.tensor < 0) continue;
    const int op = producer[b.tensor];
    if (op < 0 || g.ops[op].type != graph::OpType::kDepthwiseConv2D) continue;
    if (plan.buffers[b.alias_of].tensor == b.tensor) continue;  // same tensor
    (b.kind == BufferKind::kPatch ? a.stage : a.whole).insert(op);
  }
  return a;
}

std::vector<std::vector<int8_t>> Inputs(const graph::Graph& g) {
  std::vector<std::vector<int8_t>> inputs;
  for (int t : g.inputs) {
    graph::zoo::LcgInput lcg(5);
    std::vector<int8_t> v(g.tensors[t].num_elements());
    for (int8_t& x : v) x = lcg.Next();
    inputs.push_back(std::move(v));
  }
  return inputs;
}

TEST_CASE("in-place variants: the family lists them, default ids stay",
          "[space][patch][inplace]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  PlanningContext ctx = Context(g);
  ctx.constraints.max_n_patch = 3;
  std::set<std::string> ids;
  int defaults = 0;
  for (const Candidate& c : MakePatchFamily()->Candidates(ctx)) {
    CHECK(ids.insert(c.Id()).second);
    defaults += c.inplace_depthwise && c.inplace_depthwise_stage;
    // The converse of "-noip-stage" is never listed.
    CHECK(!(!c.inplace_depthwise && c.inplace_depthwise_stage));
  }
  // Every depthwise of mcunet-vww1 has multiplier 1 and is the last reader
  // of its input, so every point has an out-of-place twin; split 1 (the
  // stem conv alone) has no stage depthwise, so no "-noip-stage" there.
  for (const std::string& id : ids) {
    if (id.find("noip") != std::string::npos) continue;
    CHECK(ids.count(id + "-noip") == 1);
  }
  CHECK(ids.count("patch-n2-s5") == 1);
  CHECK(ids.count("patch-n2-s5-noip-stage") == 1);
  CHECK(ids.count("stream2d-n3-s2-noip-stage") == 1);
  CHECK(ids.count("stream2d-n3-s1-noip-stage") == 0);
  CHECK(ids.count("stream2d-n3-s1-noip") == 1);
  CHECK(defaults > 0);
}

TEST_CASE("in-place variants: exact plans, aliases only where in place",
          "[space][patch][inplace]") {
  for (const char* name : {"mcunet-vww1", "mbv2-w0.35"}) {
    const graph::Graph& g = ZooGraph(name);
    const PlanningContext ctx = Context(g);
    for (Strategy s :
         {Strategy::kPatch, Strategy::kStream1D, Strategy::kStream2D}) {
      const int n = s == Strategy::kPatch ? 2 : 3;
      const Plan base = *PlanPatchStage(ctx, Make(s, n, 5, true, true));
      const Aliased ab = AliasedDepthwise(g, base);
      CHECK(!ab.whole.empty());
      for (const auto& [whole_ip, stage_ip] :
           {std::pair{false, false}, {false, true}, {true, false}}) {
        const Candidate c = Make(s, n, 5, whole_ip, stage_ip);
        INFO(name << " " << c.Id());
        absl::StatusOr<Plan> plan = PlanPatchStage(ctx, c);
        REQUIRE(plan.ok());
        CHECK(CheckMemoryPlan(*plan).ok());
        CHECK(plan->metrics.macs_total == base.metrics.macs_total);
        CHECK(plan->metrics.kernel_calls == base.metrics.kernel_calls);
        const Aliased a = AliasedDepthwise(g, *plan);
        CHECK(a.whole == (whole_ip ? ab.whole : std::set<int>{}));
        CHECK(a.stage == (stage_ip ? ab.stage : std::set<int>{}));
        // Fewer aliases never let fewer bytes be live at once.
        CHECK(plan->memory.live_lower_bound_bytes >=
              base.memory.live_lower_bound_bytes);
        if (!whole_ip && !stage_ip) {
          absl::StatusOr<SimulationReport> r =
              SimulateSchedule(g, *plan, Inputs(g));
          INFO(r.status().ToString());
          CHECK(r.ok());
        }
      }
    }
  }
}

}  // namespace
}  // namespace mcutune::space
