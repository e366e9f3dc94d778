// Skips a QEMU test (a WARN, then return) on machines without the ARM
// cross compiler or qemu-system-arm, e.g. a user's clone without the
// packages: the shared preamble of the tests/codegen [qemu] cases.
#ifndef MCUTUNE_TESTS_TESTING_QEMU_TOOLS_H_
#define MCUTUNE_TESTS_TESTING_QEMU_TOOLS_H_

#include "base/subprocess.h"

#define MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS()                              \
  if (!::mcutune::base::ProgramExists("arm-none-eabi-gcc") ||          \
      !::mcutune::base::ProgramExists("qemu-system-arm")) {            \
    WARN("arm-none-eabi-gcc or qemu-system-arm missing: skipped");     \
    return;                                                            \
  }

#endif  // MCUTUNE_TESTS_TESTING_QEMU_TOOLS_H_
