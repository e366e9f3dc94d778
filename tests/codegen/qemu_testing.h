// Helpers of the tests that run generated firmware on QEMU: the hash the
// firmware must report, and one run of an ELF on a board's machine.
#ifndef MCUTUNE_TESTS_CODEGEN_QEMU_TESTING_H_
#define MCUTUNE_TESTS_CODEGEN_QEMU_TESTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "device_farm/qemu_runner.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"
#include "tuner/space/board.h"

namespace mcutune::codegen::testing {

// Hex SHA-256 of the reference interpreter's outputs on `inputs` (one per
// graph input), concatenated in graph order: what the harness reports.
// REQUIREs the inference to succeed.
std::string ReferenceOutputsHash(
    const graph::Graph& graph, const std::vector<std::vector<int8_t>>& inputs,
    graph::RequantMode mode);

// Runs `elf` on `board`'s QEMU machine; REQUIREs a measurement and CHECKs
// its status is ok.
device_farm::Measurement RunOnBoardQemu(
    const std::string& elf, const space::BoardSpec& board,
    absl::Duration timeout = absl::Seconds(120));

}  // namespace mcutune::codegen::testing

#endif  // MCUTUNE_TESTS_CODEGEN_QEMU_TESTING_H_
