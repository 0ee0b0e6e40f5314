// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
#include "godwarf.h"

/* A hostile file may describe any number of DIEs; Go binaries have ~10^4 structs. */
#define DW_MAX_TYPES (1u << 22)

struct dw_type {
	const char *name; /* owned by libdw's string section */
	Dwarf_Off off;
};

struct godwarf {
	Dwarf *dw;
	struct dw_type *types;
	size_t ntypes;
	bool indexed;
	int index_err;
};

int godwarf__new(Elf *elf, struct godwarf **out)
{
	struct godwarf *g;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!g->dw) {
		free(g);
		return -ENOENT;
	}
	*out = g;
	return 0;
}

void godwarf__free(struct godwarf *g)
{
	if (!g)
		return;
	free(g->types);
	dwarf_end(g->dw);
	free(g);
}

static int cmp_type(const void *a, const void *b)
{
	const struct dw_type *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int add_type(struct godwarf *g, size_t *cap, const char *name, Dwarf_Off off)
{
	if (g->ntypes == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		struct dw_type *t;

		if (ncap > DW_MAX_TYPES)
			return -E2BIG;
		t = realloc(g->types, ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		g->types = t;
		*cap = ncap;
	}
	g->types[g->ntypes].name = name;
	g->types[g->ntypes].off = off;
	g->ntypes++;
	return 0;
}

/* Go emits its types as children of compile units; only that level is indexed. */
static int build_index(struct godwarf *g)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;
	int err = 0;

	while (!err && dwarf_nextcu(g->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;

		if (!dwarf_offdie(g->dw, off + hsize, &cu))
			break;
		off = next;
		if (dwarf_child(&cu, &die) != 0)
			continue;
		do {
			const char *name;

			if (dwarf_tag(&die) != DW_TAG_structure_type ||
			    dwarf_hasattr(&die, DW_AT_declaration))
				continue;
			name = dwarf_diename(&die);
			if (!name)
				continue;
			err = add_type(g, &cap, name, dwarf_dieoffset(&die));
			if (err)
				break;
		} while (dwarf_siblingof(&die, &die) == 0);
	}
	if (g->ntypes)
		qsort(g->types, g->ntypes, sizeof(*g->types), cmp_type);
	return err == -E2BIG ? 0 : err;
}

/* First index slot named name, or NULL. */
static const struct dw_type *lookup(struct godwarf *g, const char *name)
{
	size_t lo = 0, hi;

	if (!g->indexed) {
		g->index_err = build_index(g);
		g->indexed = true;
	}
	if (g->index_err)
		return NULL;
	hi = g->ntypes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(g->types[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->ntypes && !strcmp(g->types[lo].name, name))
		return &g->types[lo];
	return NULL;
}

static int member_in(struct godwarf *g, Dwarf_Off toff, const char *member, __s64 *off)
{
	Dwarf_Die type, die;
	Dwarf_Attribute attr;
	Dwarf_Word v;
	const char *name;

	if (!dwarf_offdie(g->dw, toff, &type) || dwarf_child(&type, &die) != 0)
		return -ENOENT;
	do {
		if (dwarf_tag(&die) != DW_TAG_member)
			continue;
		name = dwarf_diename(&die);
		if (!name || strcmp(name, member))
			continue;
		if (!dwarf_attr(&die, DW_AT_data_member_location, &attr))
			return -EINVAL;
		switch (dwarf_whatform(&attr)) {
		case DW_FORM_data1:
		case DW_FORM_data2:
		case DW_FORM_data4:
		case DW_FORM_data8:
		case DW_FORM_udata:
		case DW_FORM_sdata:
		case DW_FORM_implicit_const:
			break;
		default:
			return -EINVAL;
		}
		if (dwarf_formudata(&attr, &v))
			return -EINVAL;
		*off = (__s64)v;
		return 0;
	} while (dwarf_siblingof(&die, &die) == 0);
	return -ENOENT;
}

int godwarf__member_offset(struct godwarf *g, const char *type, const char *member, __s64 *off)
{
	const struct dw_type *t = lookup(g, type);
	int err = -ENOENT;

	/* The same type may be described in several units; the first with the member wins. */
	for (; t && t < g->types + g->ntypes && !strcmp(t->name, type); t++) {
		err = member_in(g, t->off, member, off);
		if (err != -ENOENT)
			return err;
	}
	return err;
}

int godwarf__struct_size(struct godwarf *g, const char *type, __u64 *size)
{
	const struct dw_type *t = lookup(g, type);
	Dwarf_Die die;
	Dwarf_Attribute attr;
	Dwarf_Word v;

	if (!t || !dwarf_offdie(g->dw, t->off, &die) || !dwarf_attr(&die, DW_AT_byte_size, &attr) ||
	    dwarf_formudata(&attr, &v))
		return -ENOENT;
	*size = v;
	return 0;
}
