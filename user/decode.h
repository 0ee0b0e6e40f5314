/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decode: a full linear instruction decode of one function (Capstone), with
 * the facts probe placement needs: instruction boundaries, which ones the
 * kernel's uprobe code emulates instead of single-stepping, branch and
 * RIP-relative memory targets, and where Go's stack-check prologue ends.
 */
#ifndef GOPRY_DECODE_H
#define GOPRY_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum insn_kind {
	IK_OTHER = 0,
	IK_PUSH, /* push reg: emulated by x86 uprobes */
	IK_NOP,  /* emulated */
	IK_JMP,  /* relative jmp: emulated */
	IK_CALL, /* relative call: emulated */
	IK_JCC,  /* relative conditional jump: emulated */
	IK_RET,
	IK_INT3,
};

struct insn {
	__u64 addr;
	__u8 len;
	__u8 kind;          /* enum insn_kind */
	bool emulated;      /* the kernel emulates it (no single-step) */
	bool rejected;      /* uprobes refuse it (LOCK or ES/CS/SS/DS prefix) */
	bool has_target;    /* branch/call with a direct target */
	bool has_riprel;    /* memory operand [rip + disp] */
	__u64 target;       /* branch target when has_target */
	__u64 riprel;       /* absolute address of the rip-relative operand */
	char text[48];      /* "push rbp", for --dry-run */
};

struct insn_list {
	struct insn *v;
	size_t n;
};

/*
 * Decode [addr, addr+len) linearly. Returns 0 or -EILSEQ when some bytes do
 * not decode (the list is then not to be used for placement), -ENOMEM.
 */
int decode__function(const __u8 *code, size_t len, __u64 addr, struct insn_list *out);
void decode__free(struct insn_list *l);

/*
 * Index of the first instruction after Go's stack-check prologue
 * ("cmp rsp, [r14+0x10]; jbe morestack" or the lea/cmp form for large
 * frames), or 0 when the function has none (nosplit). -ENOENT if the
 * prologue is malformed.
 */
int decode__after_prologue(const struct insn_list *l);

/* Index of the instruction starting at addr, or -ENOENT (not a boundary). */
int decode__index_of(const struct insn_list *l, __u64 addr);

#endif /* GOPRY_DECODE_H */
