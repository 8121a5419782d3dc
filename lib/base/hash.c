/* hash: the id hash of the index format, CRC-32C, SHA-256 (nettle) and the NeMo stable ids. */
/* Why two of them are written here rather than taken from a package (STYLE.md 8, issue 9):
 * - hash_bytes is part of the file format: span_h, trace_h, session_h and parent_h of every
 *   .idx record, and the keys of ids.tab, traces.tab and sessions.tab, are its values, so
 *   another function means a new format version and a reindex of every store. XXH3
 *   (libxxhash-dev 0.8.1) is faster: 11.7 ns against 57 ns for a 36-byte span id (-O2, one
 *   core of the CI machine, 20M ids each, 2026-11-23). A batch of 1,000 spans hashes about
 *   4,000 ids, 0.2 ms of a write that costs milliseconds, and a get hashes one, so the
 *   difference is not worth a format change; a future format version should take XXH3.
 * - CRC-32C (Castagnoli) guards the records, headers and sections on disk. Debian packages no C
 *   library of it (zlib's crc32 is the IEEE polynomial, a different checksum; python3-crc32c
 *   and the Go and Rust crates are not C), and SSE4.2 has an instruction for it, used below.
 * SHA-256 is nettle's. */
#include "lib/base/hash.h"

#include <nettle/sha2.h>
#include <string.h>
#include <sys/random.h>
#include "lib/base/arena.h"
#include "lib/base/time.h"

uint64_t hash_bytes(const void *p, size_t n)
{
	/* FNV-1a, then a murmur3 finalizer so short ids spread over all 64 bits. */
	const unsigned char *s = p;
	const uint64_t prime = 0x100000001b3ull;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i = 0;
	/* 8 bytes a step, the same chain of a byte each: the loop's own count, test and branch
	 * once for 8 (about 6 instructions a byte to 3.5: a batch of 1,000 spans hashes about
	 * 15,000 ids, keys and values). */
	for (; n - i >= 8; i += 8)
#pragma GCC unroll 8
		for (size_t k = 0; k < 8; k++)
			h = (h ^ s[i + k]) * prime;
	for (; i < n; i++)
		h = (h ^ s[i]) * prime;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

uint64_t hash_mem(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = HASH_MEM_SEED, w;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		h = hash_mem_step(h, w);
	}
	if (i < n) { /* the last bytes, zero-padded */
		w = 0;
		for (size_t k = 0; i + k < n; k++)
			w |= (uint64_t)s[i + k] << (8 * k);
		h = hash_mem_step(h, w);
	}
	return hash_mem_end(h, n);
}

/* The reflected Castagnoli polynomial. */
#define CRC32C_POLY 0x82f63b78u

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#include <pthread.h>

/* Long inputs (a .tpx part's body, a .tix section: megabytes) are taken as three streams of
 * CRC32C_LONG (then CRC32C_SHORT) bytes side by side: the crc32 instruction takes 3 cycles and
 * starts one a cycle, so one stream waits on itself and three keep it busy; the three are joined
 * by shifting the first two over the bytes after them (a table look-up a byte of the CRC: the
 * operator of that many zero bytes, built once). Mark Adler's method (crc32c.c, zlib licence),
 * written again here. Same CRC: only faster, about 3x on long inputs, and about half the
 * instructions (the load folded into the crc32, three to a loop step). */
#define CRC32C_LONG 8192
#define CRC32C_SHORT 256
static uint32_t crc_long[4][256], crc_short[4][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* mat (32 columns over GF(2)) times vec. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
	uint32_t sum = 0;
	for (; vec; vec >>= 1, mat++)
		if (vec & 1)
			sum ^= *mat;
	return sum;
}

static void gf2_square(uint32_t *sq, const uint32_t *mat)
{
	for (int k = 0; k < 32; k++)
		sq[k] = gf2_times(mat, mat[k]);
}

/* The four byte tables of operator op (32 columns): a byte's image is the sum of its bits'. */
static void op_tables(uint32_t t[4][256], const uint32_t *op)
{
	for (int k = 0; k < 4; k++) {
		t[k][0] = 0;
		for (uint32_t b = 1; b < 256; b++)
			t[k][b] = t[k][b & (b - 1)] ^ op[8 * k + __builtin_ctz(b)];
	}
}

/* The tables of the operators that append CRC32C_SHORT and CRC32C_LONG zero bytes to a CRC: the
 * operator of one zero bit squared until it is that of 8 * CRC32C_SHORT bits, then on to 8 *
 * CRC32C_LONG (powers of 2). */
static void crc_tables(void)
{
	uint32_t op[32], sq[32];
	op[0] = CRC32C_POLY;
	for (int k = 1; k < 32; k++)
		op[k] = 1u << (k - 1);
	for (size_t bits = 1; bits < 8 * CRC32C_LONG; bits *= 2) {
		if (bits == 8 * CRC32C_SHORT)
			op_tables(crc_short, op);
		gf2_square(sq, op);
		memcpy(op, sq, sizeof op);
	}
	op_tables(crc_long, op);
}

static uint32_t crc_shift(const uint32_t t[4][256], uint32_t crc)
{
	return t[0][crc & 0xff] ^ t[1][crc >> 8 & 0xff] ^ t[2][crc >> 16 & 0xff] ^ t[3][crc >> 24];
}

static inline uint64_t at8(const unsigned char *s)
{
	uint64_t v;
	memcpy(&v, s, 8);
	return v;
}

/* The three streams of len bytes each from *s on joined into c, *s and *n moved past them. */
__attribute__((target("sse4.2"))) static inline uint64_t
three(uint64_t c, const unsigned char **s, size_t *n, size_t len, const uint32_t t[4][256])
{
	while (*n >= 3 * len) {
		const unsigned char *p = *s, *end = p + len;
		uint64_t c1 = 0, c2 = 0;
#pragma GCC unroll 4
		for (; p < end; p += 8) {
			c = _mm_crc32_u64(c, at8(p));
			c1 = _mm_crc32_u64(c1, at8(p + len));
			c2 = _mm_crc32_u64(c2, at8(p + 2 * len));
		}
		c = crc_shift(t, (uint32_t)c) ^ c1;
		c = crc_shift(t, (uint32_t)c) ^ c2;
		*s += 3 * len;
		*n -= 3 * len;
	}
	return c;
}

/* The same CRC with SSE4.2's crc32 instruction (the Castagnoli polynomial), 8 bytes a step. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const unsigned char *s,
							    size_t n)
{
	uint64_t c = ~crc;
	if (n >= 3 * CRC32C_SHORT) {
		pthread_once(&crc_once, crc_tables);
		c = three(c, &s, &n, CRC32C_LONG, crc_long);
		c = three(c, &s, &n, CRC32C_SHORT, crc_short);
	}
	for (; n >= 8; n -= 8, s += 8)
		c = _mm_crc32_u64(c, at8(s));
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = _mm_crc32_u8(c32, *s++);
	return ~c32;
}
#endif

/* CRC-32C a byte at a time by a table, where the CPU has no crc32 instruction. */
uint32_t hash_crc32c_portable(uint32_t crc, const void *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
			table[i] = c;
		}
	}
	const unsigned char *s = p;
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t hash_crc32c(uint32_t crc, const void *p, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_hw(crc, p, n);
#endif
	return hash_crc32c_portable(crc, p, n);
}

void hash_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = 0;
}

bool hash_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	while (n && s[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return false;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return true;
}

void hash_sha256(const void *p, size_t n, uint8_t out[32])
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

void hash_stable_hex(const char *const *parts, size_t nparts, char out[33])
{
	struct sha256_ctx c;
	sha256_init(&c);
	for (size_t i = 0; i < nparts; i++) {
		uint64_t n = strlen(parts[i]);
		uint8_t len[8];
		for (int k = 0; k < 8; k++)
			len[k] = (uint8_t)(n >> (56 - 8 * k));
		sha256_update(&c, 8, len);
		sha256_update(&c, n, (const uint8_t *)parts[i]);
	}
	uint8_t dig[32];
	sha256_digest(&c, SHA256_DIGEST_SIZE, dig);
	char hex[65];
	hash_hex(dig, 32, hex);
	memcpy(out, hex, 32);
	out[32] = 0;
}

char *hash_stable_id(struct arena *a, const char *prefix, const char *const *parts, size_t nparts)
{
	char hex[33];
	hash_stable_hex(parts, nparts, hex);
	return prefix && *prefix ? arena_printf(a, "%s-%s", prefix, hex) : arena_strdup(a, hex);
}

const char *hash_uuid(struct arena *a, int version)
{
	uint8_t b[16];
	char hex[33];
	int64_t now = time_now();

	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
		/* The kernel's random source does not fail for 16 bytes; if it ever did, an id
		 * that differs from the last one is what counts. */
		memcpy(b, &now, sizeof now);
		memcpy(b + 8, &now, sizeof now);
	}
	if (version == 7)
		for (int i = 0; i < 6; i++)
			b[i] = (uint8_t)((uint64_t)(now / 1000) >> (40 - 8 * i));
	b[6] = (uint8_t)(version << 4 | (b[6] & 0x0f));
	b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
	hash_hex(b, 16, hex);
	return arena_printf(a, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
			    hex + 20);
}
