/* SHA-256 (FIPS 180-4) for the harness: the output tensor's fingerprint.
 * Small and portable (C99, no tables beyond the 64 round constants); the same
 * file builds for the host and for Cortex-M. Not constant-time: it hashes
 * model outputs, not secrets. */
#ifndef MCUTUNE_CODEGEN_FIRMWARE_SHA256_H_
#define MCUTUNE_CODEGEN_FIRMWARE_SHA256_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  uint32_t used; /* bytes in block */
} mcutune_sha256_t;

void mcutune_sha256_init(mcutune_sha256_t* ctx);
void mcutune_sha256_update(mcutune_sha256_t* ctx, const void* data, size_t n);
void mcutune_sha256_final(mcutune_sha256_t* ctx, uint8_t digest[32]);
/* One-shot convenience. */
void mcutune_sha256(const void* data, size_t n, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif

#endif /* MCUTUNE_CODEGEN_FIRMWARE_SHA256_H_ */
