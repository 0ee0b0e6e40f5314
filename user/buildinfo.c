// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "elfimg.h"
#include "buildinfo.h"

/* go1.27.3 debug/buildinfo/buildinfo.go:56 */
static const char bi_magic[] = "\xff Go buildinf:";
#define BI_MAGIC_LEN 14
#define BI_HDR_LEN 32
#define BI_FLAG_INLINE 0x2
/* Framing of modinfo (go1.27.3 cmd/go/internal/modload/build.go:29-30). */
#define MODINFO_SENTINEL 16

size_t uvarint(const __u8 *p, size_t len, __u64 *v)
{
	__u64 x = 0;
	unsigned int shift = 0;
	size_t i;

	for (i = 0; i < len && i < 10; i++) {
		__u8 b = p[i];

		if (i == 9 && b > 1)
			return 0;
		x |= (__u64)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return i + 1;
		}
		shift += 7;
	}
	return 0;
}

/* A uvarint-prefixed string at *pos; advances *pos. */
static int read_str(const __u8 *p, size_t len, size_t *pos, const __u8 **s, size_t *slen)
{
	__u64 n;
	size_t k = uvarint(p + *pos, len - *pos, &n);

	if (!k)
		return -ENOEXEC;
	*pos += k;
	if (n > len - *pos)
		return -ENOEXEC;
	*s = p + *pos;
	*slen = n;
	*pos += n;
	return 0;
}

/* Value of the first "key\t<value>[\t...]" line in modinfo. */
static char *modinfo_field(const __u8 *m, size_t len, const char *key)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const __u8 *nl = memchr(m + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - m) : len, vend;
		const __u8 *tab;

		if (end - i > klen && !memcmp(m + i, key, klen) && m[i + klen] == '\t') {
			i += klen + 1;
			tab = memchr(m + i, '\t', end - i);
			vend = tab ? (size_t)(tab - m) : end;
			return strndup((const char *)m + i, vend - i);
		}
		i = end + 1;
	}
	return strdup("");
}

int buildinfo__parse(const __u8 *p, size_t len, struct buildinfo *bi)
{
	const __u8 *ver, *mod;
	size_t pos = BI_HDR_LEN, vlen, mlen;
	int err;

	memset(bi, 0, sizeof(*bi));
	if (len < BI_HDR_LEN || memcmp(p, bi_magic, BI_MAGIC_LEN))
		return -ENOEXEC;
	if (!(p[15] & BI_FLAG_INLINE)) {
		bi->old_format = true;
		ver = mod = NULL;
		vlen = mlen = 0;
	} else {
		err = read_str(p, len, &pos, &ver, &vlen);
		if (err)
			return err;
		err = read_str(p, len, &pos, &mod, &mlen);
		if (err)
			return err;
		if (mlen >= 2 * MODINFO_SENTINEL + 1 && mod[mlen - MODINFO_SENTINEL - 1] == '\n') {
			mod += MODINFO_SENTINEL;
			mlen -= 2 * MODINFO_SENTINEL;
		}
	}
	/* A NUL inside the version would make it a different string for C. */
	if (vlen && memchr(ver, 0, vlen))
		vlen = (const __u8 *)memchr(ver, 0, vlen) - ver;
	bi->version = vlen ? strndup((const char *)ver, vlen) : strdup("");
	bi->mod_path = modinfo_field(mod, mlen, "mod");
	bi->main_path = modinfo_field(mod, mlen, "path");
	if (!bi->version || !bi->mod_path || !bi->main_path) {
		buildinfo__clear(bi);
		return -ENOMEM;
	}
	return 0;
}

/* Without section headers: the blob is 16-byte aligned in writable data. */
static int scan_segments(const struct elfimg *img, struct buildinfo *bi)
{
	size_t fsize, i;
	const __u8 *file = elfimg__data(img, &fsize);

	for (i = 0; i < elfimg__nseg(img); i++) {
		const struct elf_seg *s = elfimg__seg(img, i);
		__u64 skew = (16 - (s->vaddr & 15)) & 15, o;

		if (!(s->flags & PF_W))
			continue;
		for (o = skew; o + BI_HDR_LEN <= s->filesz; o += 16) {
			const __u8 *p = file + s->off + o;

			if (p[0] != 0xff || memcmp(p, bi_magic, BI_MAGIC_LEN))
				continue;
			if (!buildinfo__parse(p, s->filesz - o, bi))
				return 0;
		}
	}
	return -ENOENT;
}

int buildinfo__read(const struct elfimg *img, struct buildinfo *bi)
{
	const struct elf_sec *sec = elfimg__sec_by_name(img, ".go.buildinfo");
	const __u8 *p = elfimg__sec_bytes(img, sec);

	memset(bi, 0, sizeof(*bi));
	if (p)
		return buildinfo__parse(p, sec->size, bi);
	return scan_segments(img, bi);
}

void buildinfo__clear(struct buildinfo *bi)
{
	free(bi->version);
	free(bi->mod_path);
	free(bi->main_path);
	memset(bi, 0, sizeof(*bi));
}

static int parse_num(const char **s)
{
	long v = 0;

	if (**s < '0' || **s > '9')
		return -1;
	while (**s >= '0' && **s <= '9') {
		v = v * 10 + (**s - '0');
		if (v > 100000)
			return -1;
		(*s)++;
	}
	return (int)v;
}

void buildinfo__version_numbers(const char *v, int *minor, int *patch)
{
	int mi, pa = 0;

	*minor = *patch = 0;
	if (strncmp(v, "go1.", 4))
		return;
	v += 4;
	mi = parse_num(&v);
	if (mi < 0)
		return;
	if (*v == '.') {
		v++;
		pa = parse_num(&v);
		if (pa < 0)
			pa = 0;
	}
	*minor = mi;
	*patch = pa;
}
