// The patch family's per-context memo (patch_skeleton.h) only saves work:
// plans made through a context's PatchPlanCache (in the family's order,
// the default variants alone, in reverse) equal the plans of a context
// without the cache (every skeleton built for its one plan), field by
// field; metrics-only plans carry the same figures as full ones.
#include "tuner/space/patch_skeleton.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/space/space_test_graphs.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/patch_planner.h"
#include "tuner/space/plan_checker.h"
#include "tuner/space/plan_format.h"

namespace mcutune::space {
namespace {

using testing::ZooGraph;

PlanningContext Context(const graph::Graph& g, bool details) {
  BoardSpec board;
  board.id = "test";
  board.sram_bytes = 256 * 1024;
  board.flash_bytes = 1024 * 1024;
  Constraints c;
  c.search_execution_order = false;
  c.max_n_patch = 3;
  c.keep_plan_details = details;
  return MakePlanningContext(g, board, c);
}

// The first difference between two plans' steps and buffers, or "".
std::string FirstDifference(const Plan& a, const Plan& b) {
  if (a.steps.size() != b.steps.size()) return "step count";
  for (size_t s = 0; s < a.steps.size(); ++s) {
    const Step& x = a.steps[s];
    const Step& y = b.steps[s];
    if (x.op != y.op || x.patch != y.patch || x.macs != y.macs ||
        x.output.y0 != y.output.y0 || x.output.y1 != y.output.y1 ||
        x.output.x0 != y.output.x0 || x.output.x1 != y.output.x1 ||
        x.reads != y.reads || x.writes != y.writes) {
      return "step " + std::to_string(s);
    }
  }
  if (a.buffers.size() != b.buffers.size()) return "buffer count";
  for (size_t i = 0; i < a.buffers.size(); ++i) {
    const Buffer& x = a.buffers[i];
    const Buffer& y = b.buffers[i];
    if (x.id != y.id || x.name != y.name || x.kind != y.kind ||
        x.tensor != y.tensor || x.bytes != y.bytes || x.offset != y.offset ||
        x.first_step != y.first_step || x.last_step != y.last_step ||
        x.alias_of != y.alias_of || x.memory != y.memory) {
      return "buffer " + std::to_string(i);
    }
  }
  return "";
}

TEST_CASE("patch skeleton cache: plans equal uncached plans",
          "[space][patch]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  const PlanningContext cached = Context(g, true);
  REQUIRE(cached.patch_cache != nullptr);
  PlanningContext uncached = cached;
  uncached.patch_cache = nullptr;
  const std::vector<Candidate> cands = MakePatchFamily()->Candidates(cached);
  REQUIRE(cands.size() > 50);
  std::vector<Plan> reference;
  for (const Candidate& c : cands) {
    absl::StatusOr<Plan> p = PlanPatchStage(uncached, c);
    REQUIRE(p.ok());
    reference.push_back(*std::move(p));
  }
  // Family order (each skeleton handed over on its last expected use);
  // the default variants alone (entries outlive their uses, so a key that
  // missed a parameter would serve another point's skeleton; the FIFO
  // evicts); everything in reverse.
  std::vector<int> order;
  const int n_cands = static_cast<int>(cands.size());
  for (int i = 0; i < n_cands; ++i) order.push_back(i);
  for (int i = 0; i < n_cands; ++i) {
    if (cands[i].inplace_depthwise && cands[i].inplace_depthwise_stage) {
      order.push_back(i);
    }
  }
  for (int i = n_cands - 1; i >= 0; --i) order.push_back(i);
  for (int i : order) {
    INFO(cands[i].Id());
    absl::StatusOr<Plan> p = PlanPatchStage(cached, cands[i]);
    REQUIRE(p.ok());
    CHECK(FormatPlanJson(*p, -1) == FormatPlanJson(reference[i], -1));
    CHECK(FirstDifference(*p, reference[i]).empty());
  }
  // A sample is also a valid memory plan.
  for (size_t i = 0; i < reference.size(); i += 11) {
    CHECK(CheckMemoryPlan(reference[i]).ok());
  }
}

TEST_CASE("patch skeleton cache: metrics-only plans, same figures",
          "[space][patch]") {
  const graph::Graph& g = ZooGraph("mbv2-w0.35");
  const PlanningContext full = Context(g, true);
  const PlanningContext lean = Context(g, false);
  int compared = 0;
  for (const Candidate& c : MakePatchFamily()->Candidates(full)) {
    INFO(c.Id());
    absl::StatusOr<Plan> a = PlanPatchStage(full, c);
    absl::StatusOr<Plan> b = PlanPatchStage(lean, c);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(b->steps.empty());
    CHECK(b->buffers.empty());
    CHECK(FormatPlanJson(*a, -1) == FormatPlanJson(*b, -1));
    ++compared;
  }
  CHECK(compared > 50);
}

}  // namespace
}  // namespace mcutune::space
