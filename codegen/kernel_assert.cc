// mcuk_assert_failed for host builds: forwards to the installed handler.
#include "codegen/kernel_assert.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "codegen/kernels/mcu_kernels.h"

namespace mcutune::codegen {
namespace {

void AbortHandler(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "mcu_kernels check failed at %s:%d: %s\n", file, line,
               condition);
  std::abort();
}

std::atomic<KernelAssertHandler> g_handler{&AbortHandler};

}  // namespace

KernelAssertHandler SetKernelAssertHandler(KernelAssertHandler handler) {
  return g_handler.exchange(handler != nullptr ? handler : &AbortHandler);
}

}  // namespace mcutune::codegen

extern "C" void mcuk_assert_failed(const char* file, int line,
                                   const char* condition) {
  mcutune::codegen::g_handler.load()(file, line, condition);
}
