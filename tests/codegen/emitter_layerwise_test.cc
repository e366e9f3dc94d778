// Layer-wise generated code on the host: bit-exact with the reference
// interpreter in both requantization modes.
#include <catch2/catch.hpp>

#include "codegen/emitter.h"
#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"
#include "tuner/space/plan.h"

namespace mcutune::codegen {
namespace {

using testing::AllPlans;
using testing::ZooGraph;

std::vector<space::Plan> LayerwisePlans(const graph::Graph& g) {
  std::vector<space::Plan> out;
  for (space::Plan& p : AllPlans(g, "qemu-f746")) {
    if (p.candidate.strategy == space::Strategy::kLayerwise) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

// Every zoo network runs layer-wise in the property test; here three of
// them, every layer-wise candidate, both rounding modes, two inputs.
TEST_CASE("layer-wise code is bit-exact on the host in both rounding modes",
          "[emitter]") {
  for (const char* name : {"mcunet-vww0", "proxyless-w0.3",
                                  "mcunet-in1"}) {
    for (graph::RequantMode mode : {graph::RequantMode::kSingleRounding,
                                    graph::RequantMode::kDoubleRounding}) {
      const graph::Graph& g = ZooGraph(name);
      const std::vector<space::Plan> plans = LayerwisePlans(g);
      REQUIRE(!plans.empty());
      HostVerifyOptions o;
      o.requant = mode;
      absl::StatusOr<HostVerifyResult> r =
          VerifyOnHost(g, plans, {GoldenInputs(g, 1), GoldenInputs(g, 2)}, o);
      REQUIRE(r.ok());
      INFO(name << " " << (mode == graph::RequantMode::kSingleRounding
                               ? "single"
                               : "double")
                << "\n" << testing::Failures(*r));
      CHECK(r->all_ok());
    }
  }
}

TEST_CASE("emitter rejects bad prefixes", "[emitter]") {
  const graph::Graph& g = ZooGraph("mcunet-vww0");
  std::vector<space::Plan> plans = LayerwisePlans(g);
  EmitOptions o;
  o.prefix = "1bad";
  CHECK(EmitModel(g, plans[0], o).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::codegen
