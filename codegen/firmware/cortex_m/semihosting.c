/* Semihosting calls (see semihosting.h). Each call is one `bkpt 0xAB` with
 * the operation in r0 and a pointer/value in r1; "memory" clobber because the
 * host reads and writes the parameter blocks. */
#include "codegen/firmware/cortex_m/semihosting.h"

#ifndef MCUTUNE_SEMIHOSTING
#define MCUTUNE_SEMIHOSTING 1
#endif

#if MCUTUNE_SEMIHOSTING
static int Call(int op, const volatile void* arg) {
  register int r0 __asm__("r0") = op;
  register const volatile void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
#endif

void mcutune_semihost_write0(const char* text) {
#if MCUTUNE_SEMIHOSTING
  Call(MCUTUNE_SYS_WRITE0, text);
#else
  (void)text;
#endif
}

void mcutune_semihost_writec(char c) {
#if MCUTUNE_SEMIHOSTING
  Call(MCUTUNE_SYS_WRITEC, &c);
#else
  (void)c;
#endif
}

int mcutune_semihost_cmdline(char* buf, size_t size) {
#if MCUTUNE_SEMIHOSTING
  volatile uint32_t block[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)size};
  if (size == 0 || Call(MCUTUNE_SYS_GET_CMDLINE, block) != 0) return -1;
  buf[size - 1] = 0;
  return (int)block[1];
#else
  (void)buf;
  (void)size;
  return -1;
#endif
}

void mcutune_semihost_exit(uint32_t code) {
#if MCUTUNE_SEMIHOSTING
  volatile uint32_t block[2] = {MCUTUNE_ADP_STOPPED_APPLICATION_EXIT, code};
  Call(MCUTUNE_SYS_EXIT_EXTENDED, block);
  /* A host without SYS_EXIT_EXTENDED: plain SYS_EXIT (status 0 or 1). */
  Call(MCUTUNE_SYS_EXIT, (const void*)(uintptr_t)(
                             code == 0 ? MCUTUNE_ADP_STOPPED_APPLICATION_EXIT : 0x20023));
#else
  (void)code;
#endif
  for (;;) {
    __asm__ volatile("wfi");
  }
}
