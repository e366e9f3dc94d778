/* The DMA interface generated tinyops code moves data through.
 *
 * A tinyops schedule copies tiny input blocks, filters, biases and
 * requantization arrays from external memory into SRAM buffers while the
 * CPU computes on the previous block (ping-pong). Generated code starts a
 * copy on a channel and waits for that channel before a kernel reads the
 * destination:
 *
 *   mcuk_dma_copy(1, sram_b1, sdram + rows, bytes);   start block j + 1
 *   mcuk_dma_wait(0);  kernel(block j in sram_b0);     block j is complete
 *
 * Channels 0..3 are the four ping-pong buffers (A0, A1, B0, B1), channel 4
 * the overlays. The default implementation (dma.c) is a synchronous memcpy
 * with weak linkage, which is what targets without a DMA model (QEMU, the
 * host) use; a board support package overrides both functions with its DMA
 * controller driver (e.g. STM32 MDMA/DMA2D) without touching generated code.
 * Contract: regions of one channel never overlap a region of another
 * channel in flight; mcuk_dma_wait(c) returns once every copy started on c
 * has landed.
 */
#ifndef MCUTUNE_CODEGEN_KERNELS_DMA_H_
#define MCUTUNE_CODEGEN_KERNELS_DMA_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCUK_DMA_CHANNELS 5

void mcuk_dma_copy(int32_t channel, void* dst, const void* src,
                   uint32_t bytes);
void mcuk_dma_wait(int32_t channel);

#ifdef __cplusplus
}
#endif

#endif /* MCUTUNE_CODEGEN_KERNELS_DMA_H_ */
