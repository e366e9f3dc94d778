#include "device_farm/farm_log.h"

#include "spdlog/sinks/stdout_color_sinks.h"

namespace mcutune::device_farm {

std::shared_ptr<spdlog::logger> FarmLog() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("device_farm")) return existing;
    try {
      return spdlog::stderr_color_mt("device_farm");
    } catch (const spdlog::spdlog_ex&) {  // registered by another thread
      return spdlog::get("device_farm");
    }
  }();
  return logger;
}

}  // namespace mcutune::device_farm
