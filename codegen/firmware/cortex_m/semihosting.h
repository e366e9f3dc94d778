/* Arm semihosting (the "Semihosting for AArch32 and AArch64" spec, v2): the
 * firmware asks the debugger or emulator for a service with `bkpt 0xAB`,
 * r0 = operation, r1 = parameter, result in r0. QEMU implements it with
 * -semihosting-config enable=on,target=native (console output on stderr).
 *
 * Only for builds that run under QEMU or a debugger: on a bare board with no
 * debugger attached the breakpoint faults. MCUTUNE_SEMIHOSTING=0 (the pyOCD
 * build) compiles these to no-ops and exit() parks the core instead. */
#ifndef MCUTUNE_CODEGEN_FIRMWARE_CORTEX_M_SEMIHOSTING_H_
#define MCUTUNE_CODEGEN_FIRMWARE_CORTEX_M_SEMIHOSTING_H_

#include <stddef.h>
#include <stdint.h>

#define MCUTUNE_SYS_WRITEC 0x03
#define MCUTUNE_SYS_WRITE0 0x04
#define MCUTUNE_SYS_GET_CMDLINE 0x15
#define MCUTUNE_SYS_EXIT 0x18
#define MCUTUNE_SYS_EXIT_EXTENDED 0x20
#define MCUTUNE_ADP_STOPPED_APPLICATION_EXIT 0x20026

void mcutune_semihost_write0(const char* text);
void mcutune_semihost_writec(char c);
/* Copies the command line (argv joined by spaces) into buf; returns its
 * length, or -1 when unavailable. */
int mcutune_semihost_cmdline(char* buf, size_t size);
/* SYS_EXIT_EXTENDED: QEMU exits with `code` as its own exit status. */
void mcutune_semihost_exit(uint32_t code) __attribute__((noreturn));

#endif /* MCUTUNE_CODEGEN_FIRMWARE_CORTEX_M_SEMIHOSTING_H_ */
