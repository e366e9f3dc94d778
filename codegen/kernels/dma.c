/* Default DMA interface (dma.h): a synchronous memcpy, weak so that board
 * support can provide a real DMA driver. */
#include "codegen/kernels/dma.h"

#include <string.h>

__attribute__((weak)) void mcuk_dma_copy(int32_t channel, void* dst,
                                         const void* src, uint32_t bytes) {
  (void)channel;
  memcpy(dst, src, bytes);
}

__attribute__((weak)) void mcuk_dma_wait(int32_t channel) { (void)channel; }
