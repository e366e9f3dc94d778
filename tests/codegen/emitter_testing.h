// Helpers shared by the emitter tests: zoo graphs, the design space of a
// graph on a board, deterministic candidate sampling and a readable summary
// of host verification.
#ifndef MCUTUNE_TESTS_CODEGEN_EMITTER_TESTING_H_
#define MCUTUNE_TESTS_CODEGEN_EMITTER_TESTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/host_verifier.h"
#include "graph/graph.h"
#include "tuner/space/plan.h"

namespace mcutune::codegen::testing {

// The ten synthesized MCUNet-zoo networks of the issue.
const std::vector<std::string>& ZooNetworks();

// Synthesize(FindInZoo(name), seed 1); REQUIREs success. Cached.
const graph::Graph& ZooGraph(const std::string& name);

// Every plan of Enumerate(graph, board) (unfit plans kept). REQUIREs
// success.
std::vector<space::Plan> AllPlans(const graph::Graph& graph,
                                  const std::string& board_id);

// A deterministic sample of `plans`: every layer-wise and tinyops plan,
// then for the patch family the extreme (n_patch, split_idx) corners of each
// strategy plus a seeded random pick of the rest, `count` in total at most
// (fewer when the space is smaller).
std::vector<space::Plan> SamplePlans(const std::vector<space::Plan>& plans,
                                     int count, uint32_t seed);

// Candidate ids and statuses of the failed verdicts, one per line.
std::string Failures(const HostVerifyResult& result);

// Verifies `plans` on the host against the reference interpreter in both
// requantization modes on `inputs` (each: one tensor per graph input);
// CHECKs every verdict, `what` labels the failures.
void CheckBitExactBothModes(const graph::Graph& graph,
                            const std::vector<space::Plan>& plans,
                            const std::vector<std::vector<std::vector<int8_t>>>& inputs,
                            const std::string& what);

// Strategy names covered by `plans` ("layerwise,patch,...").
std::string Strategies(const std::vector<space::Plan>& plans);

}  // namespace mcutune::codegen::testing

#endif  // MCUTUNE_TESTS_CODEGEN_EMITTER_TESTING_H_
