// Names of the plan enums, their parsers and Candidate::Id().
#include "tuner/space/plan.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::space {

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kLayerwise:
      return "layerwise";
    case Strategy::kPatch:
      return "patch";
    case Strategy::kStream1D:
      return "stream1d";
    case Strategy::kStream2D:
      return "stream2d";
    case Strategy::kHybrid:
      return "hybrid";
    case Strategy::kTinyOps:
      return "tinyops";
  }
  return "?";
}

std::vector<Strategy> AllStrategies() {
  return {Strategy::kLayerwise, Strategy::kPatch,  Strategy::kStream1D,
          Strategy::kStream2D,  Strategy::kHybrid, Strategy::kTinyOps};
}

absl::StatusOr<Strategy> ParseStrategy(std::string_view name) {
  std::vector<std::string> names;
  for (Strategy s : AllStrategies()) {
    if (name == StrategyName(s)) return s;
    names.push_back(StrategyName(s));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown strategy '", std::string(name), "' (valid: ",
                   absl::StrJoin(names, ", "), ")"));
}

const char* StageModeName(StageMode mode) {
  switch (mode) {
    case StageMode::kRecompute:
      return "recompute";
    case StageMode::kStream1D:
      return "stream1d";
    case StageMode::kStream2D:
      return "stream2d";
  }
  return "?";
}

absl::StatusOr<StageMode> ParseStageMode(std::string_view name) {
  for (StageMode m :
       {StageMode::kRecompute, StageMode::kStream1D, StageMode::kStream2D}) {
    if (name == StageModeName(m)) return m;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown stage mode '", std::string(name),
                   "' (valid: recompute, stream1d, stream2d)"));
}

const char* OrderSourceName(OrderSource source) {
  switch (source) {
    case OrderSource::kModel:
      return "model";
    case OrderSource::kExactSearch:
      return "exact";
    case OrderSource::kHeuristic:
      return "heuristic";
  }
  return "?";
}

const char* MemoryName(Memory memory) {
  switch (memory) {
    case Memory::kSram:
      return "sram";
    case Memory::kExtRam:
      return "ext_ram";
    case Memory::kExtFlash:
      return "ext_flash";
  }
  return "?";
}

const char* BufferKindName(BufferKind kind) {
  switch (kind) {
    case BufferKind::kActivation:
      return "activation";
    case BufferKind::kPatch:
      return "patch";
    case BufferKind::kStream:
      return "stream";
    case BufferKind::kOverlay:
      return "overlay";
    case BufferKind::kDma:
      return "dma";
    case BufferKind::kScratch:
      return "scratch";
    case BufferKind::kConstant:
      return "constant";
  }
  return "?";
}

std::string Candidate::Id() const {
  std::string id = StrategyName(strategy);
  switch (strategy) {
    case Strategy::kLayerwise:
      break;
    case Strategy::kPatch:
    case Strategy::kStream1D:
    case Strategy::kStream2D:
    case Strategy::kHybrid:
      absl::StrAppend(&id, "-n", n_patch, "-s", split_idx);
      break;
    case Strategy::kTinyOps:
      absl::StrAppend(&id, "-b", tinyops_sram_budget);
      break;
  }
  if (strategy == Strategy::kHybrid) {
    id += '-';
    for (StageMode m : stage_modes) {
      id += m == StageMode::kRecompute ? 'r'
            : m == StageMode::kStream1D ? '1'
                                        : '2';
    }
  }
  const bool patch_family =
      strategy == Strategy::kPatch || strategy == Strategy::kStream1D ||
      strategy == Strategy::kStream2D || strategy == Strategy::kHybrid;
  // Only the patch family has a stage; elsewhere one switch covers all.
  const bool stage_ip =
      patch_family ? inplace_depthwise_stage : inplace_depthwise;
  if (!inplace_depthwise && !stage_ip) {
    id += "-noip";
  } else if (!inplace_depthwise) {
    id += "-noip-lw";
  } else if (!stage_ip) {
    id += "-noip-stage";
  }
  if (order.source != OrderSource::kModel) {
    absl::StrAppend(&id, "-o", OrderSourceName(order.source));
  }
  return id;
}

}  // namespace mcutune::space
