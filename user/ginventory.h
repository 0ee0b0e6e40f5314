/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ginventory: the goroutines of a live process, read from outside through
 * runtime.allgs (process_vm_readv). The process keeps running while it is
 * read, so every g is read twice and used only when both copies agree.
 */
#ifndef GOPRY_GINVENTORY_H
#define GOPRY_GINVENTORY_H

#include <stdbool.h>
#include <linux/types.h>
#include "gsites.h"

struct target;
struct go_layout;

struct ginventory_stats {
	__u64 allglen;  /* entries in runtime.allgs */
	__u64 alive;    /* passed to the callback */
	__u64 dead;     /* _Gdead / _Gidle / _Gdeadextra */
	__u64 torn;     /* changed under us on every retry: skipped */
	__u64 invalid;  /* unreadable or impossible values: skipped */
};

/* Whether the layout has everything a walk needs (else the inventory is unavailable). */
bool ginventory__available(const struct go_layout *lay);

/* How many entries runtime.allgs has now (what a walk will read). */
int ginventory__len(const struct target *t, const struct go_layout *lay, __u64 bias,
		    __u64 *len);

/*
 * Read every goroutine once; cb gets the alive ones (status without
 * _Gscan). bias is the load bias of the binary. 0, or -errno when the list
 * itself cannot be read (-ESRCH: the process is gone); an entry that
 * cannot be read consistently is counted and skipped.
 */
int ginventory__walk(const struct target *t, const struct go_layout *lay, __u64 bias,
		     void (*cb)(void *ctx, const struct gsite_g *g), void *ctx,
		     struct ginventory_stats *st);

#endif
