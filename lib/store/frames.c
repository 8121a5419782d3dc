/* frames: decompressed frames of sealed files kept across queries (see frames.h). Each set is
 * a table by block number, so a lookup is an index; the frames no reader holds are in one list
 * by last use, the oldest given up first. */
#include "lib/store/frames.h"

#include <stdlib.h>
#include "lib/base/mem.h"

struct frame_set {
	size_t n;
	struct frame *f[];
};

/* The frames no reader holds, oldest first; the bytes of every frame the process has. */
static struct frame *oldest, *newest;
static size_t bytes;

size_t frames_set_bytes(size_t n)
{
	return sizeof(struct frame_set) + n * sizeof(struct frame *);
}

struct frame_set *frames_set_new(size_t n)
{
	struct frame_set *s = xcalloc(1, frames_set_bytes(n));
	s->n = n;
	return s;
}

static void unlist(struct frame *f)
{
	*(f->older ? &f->older->newer : &oldest) = f->newer;
	*(f->newer ? &f->newer->older : &newest) = f->older;
	f->older = f->newer = NULL;
}

static void frame_free(struct frame *f)
{
	bytes -= f->cap;
	free(f->p);
	free(f);
}

/* Gives up kept frame f, which no reader holds. */
static void give_up(struct frame *f)
{
	unlist(f);
	f->set->f[f->i] = NULL;
	frame_free(f);
}

void frames_set_free(struct frame_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct frame *f = s->f[i];
		if (!f)
			continue;
		if (f->pins) /* never: a reader holds the mapping too; kept for its holder */
			frames_lose(f);
		else
			give_up(f);
	}
	free(s);
}

struct frame *frames_find(struct frame_set *s, size_t i)
{
	struct frame *f = i < s->n ? s->f[i] : NULL;
	if (f && !f->pins++)
		unlist(f);
	return f;
}

struct frame *frames_new(struct frame_set *s, size_t i, size_t len)
{
	if (i < s->n && s->f[i]) {
		struct frame *old = s->f[i];
		if (old->pins)
			frames_lose(old);
		else
			give_up(old);
	}
	/* The room of the frames given up is taken over when it fits, so that a worker past its
	 * bound decompresses into memory it has touched before, not into pages it faults in. */
	struct frame *f = xcalloc(1, sizeof(*f));
	while (oldest && bytes + (f->p ? 0 : len) > FRAMES_KEEP_BYTES) {
		struct frame *o = oldest;
		if (!f->p && o->cap >= len) {
			f->p = o->p;
			f->cap = o->cap;
			bytes += f->cap;
			o->p = NULL;
		}
		give_up(o);
	}
	if (!f->p) {
		f->p = xmalloc(len ? len : 1);
		f->cap = len;
		bytes += len;
	}
	f->i = i;
	f->pins = 1;
	if (i < s->n) {
		f->set = s;
		s->f[i] = f;
	}
	return f;
}

void frames_lose(struct frame *f)
{
	if (f->set && f->set->f[f->i] == f)
		f->set->f[f->i] = NULL;
	f->set = NULL;
}

void frames_unpin(struct frame *f)
{
	if (!f || --f->pins)
		return;
	if (!f->set) {
		frame_free(f);
		return;
	}
	f->older = newest;
	*(newest ? &newest->newer : &oldest) = f;
	newest = f;
	while (oldest && bytes > FRAMES_KEEP_BYTES)
		give_up(oldest);
}
