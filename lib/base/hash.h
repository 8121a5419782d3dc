/* hash: hashes and checksums. Nothing here allocates except hash_stable_id (in the arena). */
#ifndef SPANDEX_BASE_HASH_H
#define SPANDEX_BASE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* 64-bit hash of a byte string, as the index format stores it; never 0 (0 marks an empty
 * slot). */
uint64_t hash_bytes(const void *p, size_t n);
/* 64-bit hash of a byte string for a table in memory only (never written): 8 bytes a step,
 * several times faster than hash_bytes, whose byte-a-step values the index format holds. */
uint64_t hash_mem(const void *p, size_t n);
/* hash_mem in steps, for a caller that has the 8-byte words in hand (lib/store/words.c hashes
 * a word as it folds it): HASH_MEM_SEED, then hash_mem_step of each 8 bytes (little-endian, the
 * last zero-padded), then hash_mem_end with the length. */
#define HASH_MEM_SEED 0x9e3779b97f4a7c15ull
static inline uint64_t hash_mem_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_MEM_SEED;
	return h ^ h >> 29;
}
static inline uint64_t hash_mem_end(uint64_t h, size_t n)
{
	h = (h ^ n) * 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 32;
}
/* CRC-32C (Castagnoli) of p, continuing crc (0 to start): SSE4.2's crc32 instruction where the
 * CPU has it (three streams side by side on long inputs), else hash_crc32c_portable. */
uint32_t hash_crc32c(uint32_t crc, const void *p, size_t n);
/* The same a byte at a time by a table (the tests compare the two). */
uint32_t hash_crc32c_portable(uint32_t crc, const void *p, size_t n);
/* SHA-256 (FIPS 180-4) by nettle. */
void hash_sha256(const void *p, size_t n, uint8_t out[32]);
/* Lower-case hex of n bytes; out holds 2n+1. */
void hash_hex(const uint8_t *p, size_t n, char *out);
/* RFC 4648 base64 of s[0..n), standard or URL-safe alphabet, padding optional, into out (cap
 * bytes); *outlen gets the length. False on a character outside the alphabet or when out is
 * too small. */
bool hash_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen);
/* stable_id of the NeMo service: SHA-256 over each part as an 8-byte big-endian length and its
 * bytes, the first 32 hex characters, behind prefix ("" for none). Returns an arena string. */
char *hash_stable_id(struct arena *a, const char *prefix, const char *const *parts, size_t nparts);
/* The 32 hex characters of that id into out (33 bytes), allocating nothing. */
/* A fresh UUID (RFC 9562) in the arena, lower-case hex with dashes: version 4 (random) or 7
 * (the Unix time in milliseconds, then random bits; what the Opik SDK makes). */
const char *hash_uuid(struct arena *a, int version);
void hash_stable_hex(const char *const *parts, size_t nparts, char out[33]);

#endif
