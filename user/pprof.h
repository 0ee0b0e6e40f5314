/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pprof: writes profile.proto (github.com/google/pprof/proto/profile.proto),
 * gzip-compressed with zlib, that `go tool pprof` opens. Functions and
 * locations are deduplicated by (name, file) and PC; the string table is
 * built as samples are added.
 */
#ifndef GOPRY_PPROF_H
#define GOPRY_PPROF_H

#include <stddef.h>
#include <linux/types.h>

struct pprof;

struct pprof_frame {
	__u64 pc;          /* becomes a location's address */
	const char *func;  /* function name */
	const char *file;
	__s64 line;
};

struct pprof_label {
	const char *key;
	const char *str; /* string label, or NULL for a numeric one */
	__s64 num;
};

/*
 * sample_types: n pairs of (type, unit), e.g. {"goroutine","count"} or
 * {"alloc_objects","count"},{"alloc_space","bytes"}. period_type/period may
 * be NULL/0.
 */
int pprof__new(const char *const (*sample_types)[2], size_t ntypes, const char *period_type,
	       const char *period_unit, __s64 period, struct pprof **out);
void pprof__free(struct pprof *p);
/* Where the samples' PCs live: one mapping (the target binary). */
int pprof__set_mapping(struct pprof *p, __u64 start, __u64 limit, __u64 offset,
		       const char *filename, const char *build_id);
/* frames[0] is the leaf. values has ntypes entries. */
int pprof__add_sample(struct pprof *p, const struct pprof_frame *frames, size_t nframes,
		      const __s64 *values, const struct pprof_label *labels, size_t nlabels);
/*
 * With inlined frames: location k is made of nlines[k] (0 counts as 1)
 * consecutive frames, innermost first (Location.line order), at the address
 * of its first frame. frames holds the sum of nlines entries; nlines NULL is
 * pprof__add_sample.
 */
int pprof__add_sample_inl(struct pprof *p, const struct pprof_frame *frames, const __u8 *nlines,
			  size_t nlocs, const __s64 *values, const struct pprof_label *labels,
			  size_t nlabels);
void pprof__set_time(struct pprof *p, __s64 time_ns, __s64 duration_ns);
/* Encode, gzip and write to path. 0 or -errno. */
int pprof__write(struct pprof *p, const char *path);

#endif
