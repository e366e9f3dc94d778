// mcutune: command-line entry point. Dispatches to the local commands.
#include <cstdio>
#include <cstring>
#include <string>

#include "server/cli/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: mcutune <command> [args]\n"
    "\n"
    "local tools:\n"
    "  inspect MODEL [--json|--csv]      per-operator MACs, params and memory map\n"
    "  run MODEL --input IN --output OUT  reference int8 inference (raw bytes)\n"
    "        [--input-seed N] [--requant single|double]\n"
    "  zoo list                          architectures in configs/models\n"
    "  zoo build NAME -o OUT [--seed N]  synthesize an int8 .tflite\n"
    "  plan MODEL --board B --strategy S  plan one deployment candidate\n"
    "        [--n-patch N --split S] [--json] [--memory-map csv]\n"
    "        (S: layerwise|patch|stream1d|stream2d|hybrid|tinyops)\n"
    "  space MODEL --board B             every candidate, Pareto front marked\n"
    "        [--sram-budget BYTES] [--json|--csv]\n"
    "  codegen MODEL --board B -o DIR    emit C + build firmware for one candidate\n"
    "        (--candidate ID | --strategy S [--n-patch N --split S])\n"
    "        [--input IN] [--requant single|double] [--portable]\n"
    "  exec DIR --board B                run DIR/firmware.elf on a virtual board\n"
    "        [--runs N] [--timeout S]    (QEMU) and print the measurement JSON\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  mcutune::cli::Args args(argv + 2, argv + argc);
  if (command == "inspect") return mcutune::cli::RunInspect(args);
  if (command == "run") return mcutune::cli::RunRun(args);
  if (command == "zoo") return mcutune::cli::RunZoo(args);
  if (command == "plan") return mcutune::cli::RunPlan(args);
  if (command == "space") return mcutune::cli::RunSpace(args);
  if (command == "exec") return mcutune::cli::RunExec(args);
  if (command == "codegen") return mcutune::cli::RunCodegen(args);
  std::fprintf(stderr, "error: unknown command '%s' (see mcutune --help)\n",
               command.c_str());
  return 2;
}
