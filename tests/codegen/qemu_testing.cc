#include "tests/codegen/qemu_testing.h"

#include <catch2/catch.hpp>

#include "device_farm/board.h"
#include "graph/interpreter.h"

namespace mcutune::codegen::testing {

std::string ReferenceOutputsHash(
    const graph::Graph& graph, const std::vector<std::vector<int8_t>>& inputs,
    graph::RequantMode mode) {
  graph::InterpreterOptions o;
  o.requant = mode;
  absl::StatusOr<std::vector<std::vector<int8_t>>> out =
      graph::RunInference(graph, inputs, o);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  REQUIRE(out->size() == graph.outputs.size());
  std::string all;
  for (const std::vector<int8_t>& t : *out) {
    all.append(reinterpret_cast<const char*>(t.data()), t.size());
  }
  return device_farm::Sha256Hex(all.data(), all.size());
}

device_farm::Measurement RunOnBoardQemu(const std::string& elf,
                                        const space::BoardSpec& board,
                                        absl::Duration timeout) {
  device_farm::QemuRunOptions ro;
  ro.machine = board.qemu_machine;
  ro.timeout = timeout;
  absl::StatusOr<device_farm::Measurement> m = device_farm::RunOnQemu(elf, ro);
  INFO(board.id << ": " << m.status().ToString());
  REQUIRE(m.ok());
  CHECK(m->status == device_farm::RunStatus::kOk);
  return *std::move(m);
}

}  // namespace mcutune::codegen::testing
