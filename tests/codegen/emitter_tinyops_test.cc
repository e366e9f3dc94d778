// TinyOps generated code on the host: every budget the planner offers is
// bit-exact with the reference interpreter (constants in the external image,
// activations in external RAM, ping-pong DMA buffers).
#include <catch2/catch.hpp>

#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"

namespace mcutune::codegen {
namespace {

std::vector<space::Plan> TinyOpsPlans(const graph::Graph& g,
                                      const std::string& board) {
  std::vector<space::Plan> out;
  for (space::Plan& p : testing::AllPlans(g, board)) {
    if (p.candidate.strategy == space::Strategy::kTinyOps) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

TEST_CASE("tinyops code is bit-exact on the host", "[emitter]") {
  for (const char* name : {"mcunet-vww1", "mbv2-w0.35"}) {
    for (const char* board : {"qemu-f746", "qemu-l552"}) {
      const graph::Graph& g = testing::ZooGraph(name);
      const std::vector<space::Plan> plans = TinyOpsPlans(g, board);
      REQUIRE(!plans.empty());
      testing::CheckBitExactBothModes(
          g, plans, {GoldenInputs(g, 1)},
          std::string(name) + " on " + board);
    }
  }
}

}  // namespace
}  // namespace mcutune::codegen
