/* SHA-256 per FIPS 180-4:
 * - 64-byte blocks, big-endian message words, 64 rounds with the standard
 *   constants (fractional parts of cube roots of the first 64 primes);
 * - padding: 0x80, zeros, then the bit length as a 64-bit big-endian value.
 * Verified against the FIPS test vectors in tests/codegen/firmware_sha256_test.cc. */
#include "codegen/firmware/sha256.h"

static const uint32_t kRound[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu,
    0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u,
    0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u,
    0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u,
    0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u,
    0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u, 0x1e376c08u,
    0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu,
    0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint32_t Rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static void Compress(uint32_t state[8], const uint8_t block[64]) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = ((uint32_t)block[4 * i] << 24) | ((uint32_t)block[4 * i + 1] << 16) |
           ((uint32_t)block[4 * i + 2] << 8) | (uint32_t)block[4 * i + 3];
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t t1 = h + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) +
                        ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    const uint32_t t2 =
        (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

void mcutune_sha256_init(mcutune_sha256_t* ctx) {
  static const uint32_t kInit[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u,
                                    0xa54ff53au, 0x510e527fu, 0x9b05688cu,
                                    0x1f83d9abu, 0x5be0cd19u};
  for (int i = 0; i < 8; ++i) ctx->state[i] = kInit[i];
  ctx->length = 0;
  ctx->used = 0;
}

void mcutune_sha256_update(mcutune_sha256_t* ctx, const void* data, size_t n) {
  const uint8_t* p = (const uint8_t*)data;
  ctx->length += n;
  while (n > 0) {
    if (ctx->used == 0 && n >= 64) {
      Compress(ctx->state, p);
      p += 64;
      n -= 64;
      continue;
    }
    size_t take = 64u - ctx->used;
    if (take > n) take = n;
    for (size_t i = 0; i < take; ++i) ctx->block[ctx->used + i] = p[i];
    ctx->used += (uint32_t)take;
    p += take;
    n -= take;
    if (ctx->used == 64) {
      Compress(ctx->state, ctx->block);
      ctx->used = 0;
    }
  }
}

void mcutune_sha256_final(mcutune_sha256_t* ctx, uint8_t digest[32]) {
  const uint64_t bits = ctx->length * 8u;
  ctx->block[ctx->used++] = 0x80;
  if (ctx->used > 56) {
    while (ctx->used < 64) ctx->block[ctx->used++] = 0;
    Compress(ctx->state, ctx->block);
    ctx->used = 0;
  }
  while (ctx->used < 56) ctx->block[ctx->used++] = 0;
  for (int i = 0; i < 8; ++i) ctx->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  Compress(ctx->state, ctx->block);
  for (int i = 0; i < 8; ++i) {
    digest[4 * i] = (uint8_t)(ctx->state[i] >> 24);
    digest[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
    digest[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
    digest[4 * i + 3] = (uint8_t)ctx->state[i];
  }
}

void mcutune_sha256(const void* data, size_t n, uint8_t digest[32]) {
  mcutune_sha256_t ctx;
  mcutune_sha256_init(&ctx);
  mcutune_sha256_update(&ctx, data, n);
  mcutune_sha256_final(&ctx, digest);
}
