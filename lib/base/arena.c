/* arena: per-request memory. Blocks are freed together by arena_reset; deferred calls run
 * there first (newest first), so a request owns its file handles and malloc'd buffers too. */
#include "lib/base/arena.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/base/buf.h"
#ifdef SPANDEX_FUZZ_POISON
#include <sanitizer/asan_interface.h>
#endif

/* Arena: a chain of blocks; big requests get a block of their own. */
struct ablock {
	struct ablock *next;
	size_t used, cap;
	max_align_t data[];
};

/* A call arena_reset makes before it frees the blocks. */
struct adefer {
	struct adefer *next;
	void (*fn)(void *);
	void *p;
};

struct arena {
	struct ablock *head;
	size_t bytes;	       /* the caps of its blocks */
	struct adefer *defers; /* newest first; the records live in the blocks */
};

#define ARENA_BLOCK (64u << 10)

static struct ablock *ablock_new(size_t cap)
{
	struct ablock *b = xmalloc(sizeof(*b) + cap);
	b->next = NULL;
	b->used = 0;
	b->cap = cap;
	return b;
}

struct arena *arena_new(void)
{
	struct arena *a = xmalloc(sizeof(*a));
	a->head = ablock_new(ARENA_BLOCK);
	a->bytes = ARENA_BLOCK;
	a->defers = NULL;
	return a;
}

static void run_defers(struct arena *a)
{
	/* A deferred call may defer another: run until none is left. */
	while (a->defers) {
		struct adefer *d = a->defers;
		a->defers = d->next;
		d->fn(d->p);
	}
}

void arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct adefer *d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}

static void buf_release(void *p)
{
	buf_free(p);
}

struct buf *arena_buf(struct arena *a)
{
	struct buf *b = arena_alloc(a, sizeof(*b));
	buf_init(b);
	arena_defer(a, buf_release, b);
	return b;
}

void arena_reset(struct arena *a)
{
	run_defers(a);
	struct ablock *b = a->head, *keep = NULL;
	while (b) {
		struct ablock *next = b->next;
		if (!next && b->cap == ARENA_BLOCK) {
			keep = b;
		} else {
			free(b);
		}
		b = next;
	}
	if (!keep)
		keep = ablock_new(ARENA_BLOCK);
#ifdef SPANDEX_FUZZ_POISON
	ASAN_UNPOISON_MEMORY_REGION(keep->data, keep->cap);
#endif
	keep->used = 0;
	keep->next = NULL;
	a->head = keep;
	a->bytes = ARENA_BLOCK;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	run_defers(a);
	struct ablock *b = a->head;
	while (b) {
		struct ablock *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	struct ablock *b = a->head;
	if (b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
		struct ablock *nb = ablock_new(cap);
		a->bytes += cap;
		if (cap == ARENA_BLOCK) {
			nb->next = a->head;
			a->head = nb;
			b = nb;
		} else {
			/* A big block goes behind the head so the head keeps serving small ones. */
			nb->next = b->next;
			b->next = nb;
			nb->used = n;
			return nb->data;
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

size_t arena_size(const struct arena *a)
{
	return a->bytes;
}

struct arena_mark arena_mark(struct arena *a)
{
	return (struct arena_mark){a->head, a->head->next, a->head->used, a->defers};
}

/* Blocks come in two ways after a mark: a new head (in front of the marked one) and a big
 * block put right behind whichever block was head then (so behind the marked head, before
 * its old next, too). Both are freed; the marked head gets its old fill back. */
void arena_release(struct arena *a, struct arena_mark m)
{
	while (a->defers != m.defers) {
		struct adefer *d = a->defers;
		a->defers = d->next;
		d->fn(d->p);
	}
	for (struct ablock *b = a->head, *next; b != m.head; b = next) {
		next = b->next;
		a->bytes -= b->cap;
		free(b);
	}
	for (struct ablock *b = m.head->next, *next; b != m.next; b = next) {
		next = b->next;
		a->bytes -= b->cap;
		free(b);
	}
	m.head->next = m.next;
	m.head->used = m.used;
	a->head = m.head;
#ifdef SPANDEX_FUZZ_POISON
	/* What jansson released since the mark is poisoned; the bytes are free again. */
	ASAN_UNPOISON_MEMORY_REGION((char *)m.head->data + m.used, m.head->cap - m.used);
#endif
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* ---- jansson in the arena ---- */

static struct arena *json_arena;

#ifdef SPANDEX_FUZZ_POISON
/* The fuzz build (t/fuzz/run) poisons what jansson frees, so a value read after its last
 * reference is dropped is an AddressSanitizer report there, as it would be under malloc,
 * rather than a read of arena bytes that happen to be intact. */
#define JSON_HEAD 16 /* the size of the value, ahead of it; keeps the value 16-aligned */

static void *json_alloc(size_t n)
{
	char *p = arena_alloc(json_arena, n + JSON_HEAD);
	memcpy(p, &n, sizeof n);
	return p + JSON_HEAD;
}

static void json_release(void *p)
{
	size_t n;
	if (!p)
		return;
	memcpy(&n, (char *)p - JSON_HEAD, sizeof n);
	ASAN_POISON_MEMORY_REGION(p, n);
}
#else
static void *json_alloc(size_t n)
{
	/* jansson frees without a size and never reallocates; the arena frees it all at once. */
	return arena_alloc(json_arena, n);
}

static void json_release(void *p)
{
	(void)p;
}
#endif

bool arena_json_frees_nothing(void)
{
#ifdef SPANDEX_FUZZ_POISON
	return false;
#else
	return json_arena != NULL;
#endif
}

void arena_json(struct arena *a)
{
	json_arena = a;
	if (a)
		json_set_alloc_funcs(json_alloc, json_release);
	else
		json_set_alloc_funcs(malloc, free);
}
