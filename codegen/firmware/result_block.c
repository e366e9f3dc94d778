/* The RAM result block (result_block.h): its own section so the linker
 * script places it right after the stack, at a fixed address per board. */
#include "codegen/firmware/result_block.h"

#if defined(__arm__) && !defined(MCUTUNE_HOST)
__attribute__((section(".mcutune_result"), used))
#endif
volatile mcutune_result_t mcutune_result;
