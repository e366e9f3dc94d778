// Patch / stream / hybrid generated code on the host: bit-exact with the
// reference interpreter, including the reference case of PATCH_BASED.md.
#include <catch2/catch.hpp>

#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"

namespace mcutune::codegen {
namespace {

bool IsPatchFamily(const space::Plan& p) {
  const space::Strategy s = p.candidate.strategy;
  return s != space::Strategy::kLayerwise && s != space::Strategy::kTinyOps;
}

TEST_CASE("mcunet-vww1 (2, 5) in every patch mode is bit-exact", "[emitter]") {
  const graph::Graph& g = testing::ZooGraph("mcunet-vww1");
  std::vector<space::Plan> plans;
  for (space::Plan& p : testing::AllPlans(g, "qemu-f746")) {
    if (IsPatchFamily(p) && p.candidate.n_patch == 2 &&
        p.candidate.split_idx == 5) {
      plans.push_back(std::move(p));
    }
  }
  REQUIRE(plans.size() >= 4);
  absl::StatusOr<HostVerifyResult> r =
      VerifyOnHost(g, plans, {GoldenInputs(g, 1)});
  REQUIRE(r.ok());
  INFO(testing::Failures(*r));
  CHECK(r->all_ok());
}

}  // namespace
}  // namespace mcutune::codegen
