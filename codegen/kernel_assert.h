// Host-side handling of the C kernels' debug checks (MCUK_ASSERT in
// codegen/kernels): the host build of the kernel library enables them, and
// mcuk_assert_failed() forwards to the handler installed here. The default
// handler prints the failed condition and aborts; tests install a recording
// handler to check that a caller bug (e.g. reading outside an input window)
// is caught. Not thread-safe to change while kernels run.
#ifndef MCUTUNE_CODEGEN_KERNEL_ASSERT_H_
#define MCUTUNE_CODEGEN_KERNEL_ASSERT_H_

namespace mcutune::codegen {

using KernelAssertHandler = void (*)(const char* file, int line,
                                     const char* condition);

// Installs `handler` (nullptr restores the default) and returns the previous
// one.
KernelAssertHandler SetKernelAssertHandler(KernelAssertHandler handler);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_KERNEL_ASSERT_H_
