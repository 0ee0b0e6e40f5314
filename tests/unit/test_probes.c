// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Folding a probe's register-relative reads into one block copy. */
#include <stdio.h>
#include <string.h>
#include "probes.h"

static int failures;

static void check(const char *name, int ok)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	failures += !ok;
}

int main(void)
{
	struct gopry_probe_spec s;

	/* goroutine-create on go1.27: goid@152, gopc@288, startpc@304, parentGoid@280 off RBX */
	memset(&s, 0, sizeof(s));
	probes__set_read(&s, 0, RB_REG, GR_RBX, 152, 8);
	probes__set_read(&s, 1, RB_REG, GR_RBX, 288, 8);
	probes__set_read(&s, 2, RB_REG, GR_RBX, 304, 8);
	probes__set_read(&s, 3, RB_REG, GR_RBX, 280, 8);
	probes__set_read(&s, 4, RB_ABS, 0, 0x500000, 4);
	probes__set_read(&s, 6, RB_VAL, GR_RBX, 0, 8); /* the g itself, no read */
	probes__coalesce(&s);
	check("block covers the span", s.block_reg == GR_RBX && s.block_off == 152 &&
					       s.block_len == 304 + 8 - 152);
	check("reads rebased", s.reads[0].base == RB_BLOCK && s.reads[0].off == 0 &&
				       s.reads[2].base == RB_BLOCK && s.reads[2].off == 152 &&
				       s.reads[3].off == 128);
	check("other bases untouched", s.reads[4].base == RB_ABS && s.reads[4].off == 0x500000 &&
					       s.reads[6].base == RB_VAL && s.reads[6].off == 0 &&
					       s.nreads == 7);

	/* Too far apart for one block: left as they are. */
	memset(&s, 0, sizeof(s));
	probes__set_read(&s, 0, RB_REG, GR_R14, 0, 8);
	probes__set_read(&s, 1, RB_REG, GR_R14, 400, 8);
	probes__coalesce(&s);
	check("wide span not folded", s.block_len == 0 && s.reads[1].base == RB_REG);

	/* A single read gains nothing. */
	memset(&s, 0, sizeof(s));
	probes__set_read(&s, 0, RB_REG, GR_R14, 152, 8);
	probes__coalesce(&s);
	check("single read not folded", s.block_len == 0 && s.reads[0].base == RB_REG);

	/* Chained reads keep their own base; the register the most reads use wins. */
	memset(&s, 0, sizeof(s));
	probes__set_read(&s, 0, RB_REG, GR_R14, 48, 8);
	probes__set_read(&s, 1, RB_READ, 0, 184, 8);
	probes__set_read(&s, 2, RB_REG, GR_RAX, 0, 8);
	probes__set_read(&s, 3, RB_REG, GR_RAX, 8, 8);
	probes__set_read(&s, 4, RB_REG, GR_RAX, 16, 8);
	probes__coalesce(&s);
	check("most-used register chosen", s.block_reg == GR_RAX && s.block_len == 24 &&
						   s.reads[0].base == RB_REG &&
						   s.reads[1].base == RB_READ);
	return failures ? 1 : 0;
}
