// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pprof: a hand-written encoder for profile.proto. Samples are encoded as
 * they arrive (their location ids are known then); strings, functions and
 * locations are interned in hash tables and encoded at write time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pprof.h"

/* Field numbers of github.com/google/pprof/proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	VALUETYPE_TYPE = 1,
	VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	MAPPING_ID = 1,
	MAPPING_START = 2,
	MAPPING_LIMIT = 3,
	MAPPING_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

enum { WT_VARINT = 0, WT_LEN = 2 };

#define MAX_TYPES 8
#define MAX_FRAMES 256

struct buf {
	__u8 *p;
	size_t n, cap;
	int err;
};

/* Open addressing over entry indices + 1 (0 = empty). */
struct htab {
	__u32 *slot;
	size_t cap; /* power of two */
	size_t n;
};

struct func_ent {
	__u32 name, file; /* string indices */
};

/* One Location.line entry. */
struct line_ent {
	__u32 func; /* function id */
	__s64 line;
};

/* A location: lines ln[line0, line0 + nlines), innermost (inlined) first. */
struct loc_ent {
	__u64 pc;
	__u32 line0, nlines;
};

/* Most inlined frames one location carries (deeper ones are dropped). */
#define MAX_LOC_LINES 32

struct pprof {
	size_t ntypes;
	__u32 type[MAX_TYPES][2];
	__u32 period_type[2];
	__s64 period;
	bool has_period;
	__s64 time_ns, duration_ns;

	char **str;
	size_t nstr, capstr;
	struct htab str_h;

	struct func_ent *fn;
	size_t nfn, capfn;
	struct htab fn_h;

	struct loc_ent *loc;
	size_t nloc, caploc;
	struct htab loc_h;
	struct line_ent *ln;
	size_t nln, capln;

	bool has_mapping;
	__u64 map_start, map_limit, map_offset;
	__u32 map_file, map_build_id;

	struct buf samples; /* encoded PROFILE_SAMPLE fields */
	int err;            /* sticky -ENOMEM */
};

static void buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	__u8 *np;

	if (b->err || b->n + more <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->n + more)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->err = -ENOMEM;
		return;
	}
	b->p = np;
	b->cap = cap;
}

static void put_raw(struct buf *b, const void *p, size_t len)
{
	if (!len)
		return;
	buf_reserve(b, len);
	if (b->err)
		return;
	memcpy(b->p + b->n, p, len);
	b->n += len;
}

static void put_varint(struct buf *b, __u64 v)
{
	__u8 tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
	} while (v);
	put_raw(b, tmp, n);
}

static void put_key(struct buf *b, int field, int wt)
{
	put_varint(b, (__u64)field << 3 | wt);
}

/* int64/uint64 fields are plain varints (negative int64: 10 bytes). */
static void put_int(struct buf *b, int field, __u64 v)
{
	if (!v)
		return; /* proto3 default */
	put_key(b, field, WT_VARINT);
	put_varint(b, v);
}

static void put_bool(struct buf *b, int field, bool v)
{
	put_int(b, field, v);
}

static void put_bytes(struct buf *b, int field, const void *p, size_t len)
{
	put_key(b, field, WT_LEN);
	put_varint(b, len);
	put_raw(b, p, len);
}

/* A sub-message encoded in msg, appended as field; msg is reset for reuse. */
static void put_msg(struct buf *b, int field, struct buf *msg)
{
	if (msg->err)
		b->err = msg->err;
	put_bytes(b, field, msg->p, msg->n);
	msg->n = 0;
}

static __u64 hash_bytes(const void *p, size_t len, __u64 h)
{
	const __u8 *s = p;

	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

#define HASH_SEED 0xcbf29ce484222325ULL

static int htab_grow(struct htab *h, __u64 (*hash_of)(const struct pprof *, __u32),
		     const struct pprof *p)
{
	size_t cap = h->cap ? h->cap * 2 : 64;
	__u32 *ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		__u32 e = h->slot[i];
		size_t j;

		if (!e)
			continue;
		for (j = hash_of(p, e - 1) & (cap - 1); ns[j]; j = (j + 1) & (cap - 1))
			;
		ns[j] = e;
	}
	free(h->slot);
	h->slot = ns;
	h->cap = cap;
	return 0;
}

static __u64 str_hash(const struct pprof *p, __u32 i)
{
	return hash_bytes(p->str[i], strlen(p->str[i]), HASH_SEED);
}

static __u64 func_hash(const struct func_ent *f)
{
	return hash_bytes(&f->file, sizeof(f->file), hash_bytes(&f->name, sizeof(f->name), HASH_SEED));
}

static __u64 fn_hash(const struct pprof *p, __u32 i)
{
	return func_hash(&p->fn[i]);
}

static __u64 loc_hash_of(__u64 pc, const struct line_ent *ln, __u32 n)
{
	__u64 h = hash_bytes(&pc, sizeof(pc), HASH_SEED);

	for (__u32 i = 0; i < n; i++) {
		h = hash_bytes(&ln[i].func, sizeof(ln[i].func), h);
		h = hash_bytes(&ln[i].line, sizeof(ln[i].line), h);
	}
	return h;
}

static __u64 loc_hash(const struct pprof *p, __u32 i)
{
	return loc_hash_of(p->loc[i].pc, p->ln + p->loc[i].line0, p->loc[i].nlines);
}

static bool lines_eq(const struct line_ent *a, const struct line_ent *b, __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		if (a[i].func != b[i].func || a[i].line != b[i].line)
			return false;
	return true;
}

static int grow_array(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* String table index of s (NULL is ""), interned; on error 0 and p->err set. */
static __u32 intern(struct pprof *p, const char *s)
{
	struct htab *h = &p->str_h;
	__u64 hv;
	size_t j;
	char *dup;

	if (!s)
		s = "";
	if (p->err)
		return 0;
	if ((h->n + 1) * 2 > h->cap && htab_grow(h, str_hash, p))
		goto nomem;
	hv = hash_bytes(s, strlen(s), HASH_SEED);
	for (j = hv & (h->cap - 1); h->slot[j]; j = (j + 1) & (h->cap - 1))
		if (!strcmp(p->str[h->slot[j] - 1], s))
			return h->slot[j] - 1;
	if (grow_array((void **)&p->str, &p->capstr, p->nstr, sizeof(*p->str)))
		goto nomem;
	dup = strdup(s);
	if (!dup)
		goto nomem;
	p->str[p->nstr] = dup;
	h->slot[j] = ++p->nstr;
	h->n++;
	return p->nstr - 1;
nomem:
	p->err = -ENOMEM;
	return 0;
}

/* Function id (1-based) of (name, file). */
static __u32 func_id(struct pprof *p, const char *name, const char *file)
{
	struct func_ent f = { intern(p, name), intern(p, file) };
	struct htab *h = &p->fn_h;
	size_t j;

	if (p->err)
		return 0;
	if ((h->n + 1) * 2 > h->cap && htab_grow(h, fn_hash, p))
		goto nomem;
	for (j = func_hash(&f) & (h->cap - 1); h->slot[j];
	     j = (j + 1) & (h->cap - 1)) {
		const struct func_ent *e = &p->fn[h->slot[j] - 1];

		if (e->name == f.name && e->file == f.file)
			return h->slot[j];
	}
	if (grow_array((void **)&p->fn, &p->capfn, p->nfn, sizeof(*p->fn)))
		goto nomem;
	p->fn[p->nfn] = f;
	h->slot[j] = ++p->nfn;
	h->n++;
	return p->nfn;
nomem:
	p->err = -ENOMEM;
	return 0;
}

/*
 * Location id (1-based) of n frames at one address (the first frame's pc),
 * innermost first: one location per (pc, lines).
 */
static __u32 loc_id(struct pprof *p, const struct pprof_frame *fr, __u32 n)
{
	struct line_ent ln[MAX_LOC_LINES];
	struct loc_ent l = { .pc = fr->pc };
	struct htab *h = &p->loc_h;
	size_t j;

	if (n > MAX_LOC_LINES)
		n = MAX_LOC_LINES;
	for (__u32 i = 0; i < n; i++) {
		ln[i].func = func_id(p, fr[i].func ? fr[i].func : "?", fr[i].file);
		ln[i].line = fr[i].line;
	}
	if (p->err)
		return 0;
	if ((h->n + 1) * 2 > h->cap && htab_grow(h, loc_hash, p))
		goto nomem;
	for (j = loc_hash_of(l.pc, ln, n) & (h->cap - 1); h->slot[j]; j = (j + 1) & (h->cap - 1)) {
		const struct loc_ent *e = &p->loc[h->slot[j] - 1];

		if (e->pc == l.pc && e->nlines == n && lines_eq(p->ln + e->line0, ln, n))
			return h->slot[j];
	}
	while (p->nln + n > p->capln)
		if (grow_array((void **)&p->ln, &p->capln, p->capln, sizeof(*p->ln)))
			goto nomem;
	if (grow_array((void **)&p->loc, &p->caploc, p->nloc, sizeof(*p->loc)))
		goto nomem;
	memcpy(p->ln + p->nln, ln, n * sizeof(*ln));
	l.line0 = p->nln;
	l.nlines = n;
	p->nln += n;
	p->loc[p->nloc] = l;
	h->slot[j] = ++p->nloc;
	h->n++;
	return p->nloc;
nomem:
	p->err = -ENOMEM;
	return 0;
}

int pprof__new(const char *const (*sample_types)[2], size_t ntypes, const char *period_type,
	       const char *period_unit, __s64 period, struct pprof **out)
{
	struct pprof *p;

	*out = NULL;
	if (!ntypes || ntypes > MAX_TYPES)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	intern(p, ""); /* index 0, as profile.proto requires */
	p->ntypes = ntypes;
	for (size_t i = 0; i < ntypes; i++) {
		p->type[i][0] = intern(p, sample_types[i][0]);
		p->type[i][1] = intern(p, sample_types[i][1]);
	}
	if (period_type) {
		p->has_period = true;
		p->period_type[0] = intern(p, period_type);
		p->period_type[1] = intern(p, period_unit);
		p->period = period;
	}
	if (p->err) {
		pprof__free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void pprof__free(struct pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nstr; i++)
		free(p->str[i]);
	free(p->str);
	free(p->str_h.slot);
	free(p->fn);
	free(p->fn_h.slot);
	free(p->loc);
	free(p->loc_h.slot);
	free(p->ln);
	free(p->samples.p);
	free(p);
}

int pprof__set_mapping(struct pprof *p, __u64 start, __u64 limit, __u64 offset,
		       const char *filename, const char *build_id)
{
	p->has_mapping = true;
	p->map_start = start;
	p->map_limit = limit;
	p->map_offset = offset;
	p->map_file = intern(p, filename);
	p->map_build_id = intern(p, build_id);
	return p->err;
}

int pprof__add_sample(struct pprof *p, const struct pprof_frame *frames, size_t nframes,
		      const __s64 *values, const struct pprof_label *labels, size_t nlabels)
{
	return pprof__add_sample_inl(p, frames, NULL, nframes, values, labels, nlabels);
}

int pprof__add_sample_inl(struct pprof *p, const struct pprof_frame *frames, const __u8 *nlines,
			  size_t nlocs, const __s64 *values, const struct pprof_label *labels,
			  size_t nlabels)
{
	struct buf msg = {}, packed = {}, lab = {};
	__u32 ids[MAX_FRAMES];
	size_t nframes = nlocs, at = 0;

	if (nframes > MAX_FRAMES)
		nframes = MAX_FRAMES;
	for (size_t i = 0; i < nframes; i++) {
		__u32 n = nlines && nlines[i] ? nlines[i] : 1;

		ids[i] = loc_id(p, &frames[at], n);
		at += n;
	}
	for (size_t i = 0; i < nlabels; i++)
		intern(p, labels[i].key), intern(p, labels[i].str);
	if (p->err)
		return p->err;

	for (size_t i = 0; i < nframes; i++)
		put_varint(&packed, ids[i]);
	if (nframes)
		put_bytes(&msg, SAMPLE_LOCATION_ID, packed.p, packed.n);
	packed.n = 0;
	for (size_t i = 0; i < p->ntypes; i++)
		put_varint(&packed, (__u64)values[i]);
	put_bytes(&msg, SAMPLE_VALUE, packed.p, packed.n);
	for (size_t i = 0; i < nlabels; i++) {
		put_int(&lab, LABEL_KEY, intern(p, labels[i].key));
		if (labels[i].str)
			put_int(&lab, LABEL_STR, intern(p, labels[i].str));
		else
			put_int(&lab, LABEL_NUM, (__u64)labels[i].num);
		put_msg(&msg, SAMPLE_LABEL, &lab);
	}
	if (packed.err || lab.err)
		msg.err = -ENOMEM;
	put_msg(&p->samples, PROFILE_SAMPLE, &msg);
	free(msg.p);
	free(packed.p);
	free(lab.p);
	if (p->samples.err)
		p->err = p->samples.err;
	return p->err;
}

void pprof__set_time(struct pprof *p, __s64 time_ns, __s64 duration_ns)
{
	p->time_ns = time_ns;
	p->duration_ns = duration_ns;
}

static void encode(struct pprof *p, struct buf *b)
{
	struct buf m = {}, sub = {};

	for (size_t i = 0; i < p->ntypes; i++) {
		put_int(&m, VALUETYPE_TYPE, p->type[i][0]);
		put_int(&m, VALUETYPE_UNIT, p->type[i][1]);
		put_msg(b, PROFILE_SAMPLE_TYPE, &m);
	}
	put_raw(b, p->samples.p, p->samples.n);
	if (p->has_mapping) {
		put_int(&m, MAPPING_ID, 1);
		put_int(&m, MAPPING_START, p->map_start);
		put_int(&m, MAPPING_LIMIT, p->map_limit);
		put_int(&m, MAPPING_OFFSET, p->map_offset);
		put_int(&m, MAPPING_FILENAME, p->map_file);
		put_int(&m, MAPPING_BUILD_ID, p->map_build_id);
		/* Symbolized here: pprof must not look for the binary. */
		put_bool(&m, MAPPING_HAS_FUNCTIONS, true);
		put_bool(&m, MAPPING_HAS_FILENAMES, true);
		put_bool(&m, MAPPING_HAS_LINE_NUMBERS, true);
		put_bool(&m, MAPPING_HAS_INLINE_FRAMES, true);
		put_msg(b, PROFILE_MAPPING, &m);
	}
	for (size_t i = 0; i < p->nloc; i++) {
		const struct loc_ent *l = &p->loc[i];
		bool mapped = p->has_mapping && l->pc >= p->map_start && l->pc < p->map_limit;

		put_int(&m, LOCATION_ID, i + 1);
		put_int(&m, LOCATION_MAPPING_ID, mapped ? 1 : 0);
		put_int(&m, LOCATION_ADDRESS, l->pc);
		for (__u32 k = 0; k < l->nlines; k++) {
			put_int(&sub, LINE_FUNCTION_ID, p->ln[l->line0 + k].func);
			put_int(&sub, LINE_LINE, (__u64)p->ln[l->line0 + k].line);
			put_msg(&m, LOCATION_LINE, &sub);
		}
		put_msg(b, PROFILE_LOCATION, &m);
	}
	for (size_t i = 0; i < p->nfn; i++) {
		put_int(&m, FUNCTION_ID, i + 1);
		put_int(&m, FUNCTION_NAME, p->fn[i].name);
		put_int(&m, FUNCTION_SYSTEM_NAME, p->fn[i].name);
		put_int(&m, FUNCTION_FILENAME, p->fn[i].file);
		put_msg(b, PROFILE_FUNCTION, &m);
	}
	for (size_t i = 0; i < p->nstr; i++)
		put_bytes(b, PROFILE_STRING_TABLE, p->str[i], strlen(p->str[i]));
	put_int(b, PROFILE_TIME_NANOS, (__u64)p->time_ns);
	put_int(b, PROFILE_DURATION_NANOS, (__u64)p->duration_ns);
	if (p->has_period) {
		put_int(&m, VALUETYPE_TYPE, p->period_type[0]);
		put_int(&m, VALUETYPE_UNIT, p->period_type[1]);
		put_msg(b, PROFILE_PERIOD_TYPE, &m);
		put_int(b, PROFILE_PERIOD, (__u64)p->period);
	}
	if (m.err || sub.err)
		b->err = -ENOMEM;
	free(m.p);
	free(sub.p);
}

int pprof__write(struct pprof *p, const char *path)
{
	struct buf b = {};
	gzFile gz;
	int err = 0;

	if (p->err)
		return p->err;
	encode(p, &b);
	if (b.err) {
		err = b.err;
		goto free_buf;
	}
	gz = gzopen(path, "wb");
	if (!gz) {
		err = errno ? -errno : -ENOMEM;
		goto free_buf;
	}
	if (b.n && gzwrite(gz, b.p, b.n) != (int)b.n)
		err = -EIO;
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
free_buf:
	free(b.p);
	return err;
}
