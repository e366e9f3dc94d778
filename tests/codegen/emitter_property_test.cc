// Property test: for each of the ten zoo networks, a deterministic sample of
// candidates across every strategy the planner offers on qemu-f746
// (layer-wise orders, patch, stream-1D, stream-2D, hybrids at extreme and
// random (n_patch, split_idx), tinyops budgets) compiles on the host and is
// byte-for-byte identical to the reference interpreter. "[slow]" (hidden;
// `ctest -L slow` or `codegen_tests "[slow]"`): 300 per network, or every
// candidate with MCUTUNE_ALL_CANDIDATES=1 (~25 minutes per network).
#include <cstdlib>

#include <catch2/catch.hpp>

#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"

namespace mcutune::codegen {
namespace {

void CheckSample(const std::string& name, int count, uint32_t seed,
                 graph::RequantMode mode) {
  const graph::Graph& g = testing::ZooGraph(name);
  const std::vector<space::Plan> all = testing::AllPlans(g, "qemu-f746");
  const std::vector<space::Plan> plans =
      count > 0 ? testing::SamplePlans(all, count, seed) : all;
  CHECK(plans.size() >= std::min<size_t>(30, all.size()));
  HostVerifyOptions o;
  o.requant = mode;
  absl::StatusOr<HostVerifyResult> r =
      VerifyOnHost(g, plans, {GoldenInputs(g, seed)}, o);
  REQUIRE(r.ok());
  INFO(name << ": " << plans.size() << " candidates ("
            << testing::Strategies(plans) << ") of " << all.size() << "\n"
            << testing::Failures(*r));
  CHECK(r->all_ok());
  const std::string strategies = testing::Strategies(plans);
  for (const char* s :
       {"layerwise", "patch", "stream1d", "stream2d", "hybrid", "tinyops"}) {
    CHECK(strategies.find(s) != std::string::npos);
  }
}

TEST_CASE("sampled candidates of every zoo network are bit-exact",
          "[emitter][property]") {
  int k = 0;
  for (const std::string& name : testing::ZooNetworks()) {
    SECTION(name) {
      // Alternate the requantization mode between networks.
      CheckSample(name, 32, 7 + k,
                  k % 2 == 0 ? graph::RequantMode::kSingleRounding
                             : graph::RequantMode::kDoubleRounding);
    }
    ++k;
  }
}

TEST_CASE("large samples of every zoo network are bit-exact",
          "[emitter][property][.][slow]") {
  // 300 candidates per network (about 2-3 minutes each on 2 cores); with
  // MCUTUNE_ALL_CANDIDATES=1 every candidate of the space (hours).
  const bool all = std::getenv("MCUTUNE_ALL_CANDIDATES") != nullptr;
  for (const std::string& name : testing::ZooNetworks()) {
    SECTION(name) {
      CheckSample(name, all ? 0 : 300, 3, graph::RequantMode::kSingleRounding);
    }
  }
}

}  // namespace
}  // namespace mcutune::codegen
