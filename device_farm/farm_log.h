// The device farm's named spdlog logger ("device_farm"). Errors are logged
// once, where they are handled (the scheduler's workers and heartbeat).
#ifndef MCUTUNE_DEVICE_FARM_FARM_LOG_H_
#define MCUTUNE_DEVICE_FARM_FARM_LOG_H_

#include <memory>

#include "spdlog/spdlog.h"

namespace mcutune::device_farm {

// Created on first use (stderr); shared with anyone who registered the name.
std::shared_ptr<spdlog::logger> FarmLog();

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_FARM_LOG_H_
