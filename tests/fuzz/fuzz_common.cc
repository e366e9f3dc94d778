// Shared by every fuzz entry (fuzz_entries.h): log silencing.
#include <spdlog/spdlog.h>

#include "tests/fuzz/fuzz_entries.h"

namespace mcutune::fuzz {

void QuietLogs() { spdlog::set_level(spdlog::level::off); }

}  // namespace mcutune::fuzz
