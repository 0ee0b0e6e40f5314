// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decode: linear x86-64 decode of one function with Capstone 4, classifying
 * each instruction the way the kernel's x86 uprobe code does
 * (arch/x86/kernel/uprobes.c), so that probe placement can prefer
 * instructions the kernel emulates over ones it single-steps out of line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>

#include "decode.h"

/*
 * The kernel emulates a NOP when its bytes equal x86_nops[len] exactly
 * (len <= ASM_NOP_MAX == 8, arch/x86/include/asm/nops.h BYTES_NOP1..8), or
 * when the opcode is 0x90 after prefixes (branch_setup_xol_ops()). Other
 * multi-byte NOPs, e.g. Go's 10-byte "66 2e 0f 1f 84 00..", are single-stepped.
 */
static const __u8 x86_nops[9][8] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static bool is_kernel_nop(const __u8 *b, size_t len)
{
	return len >= 1 && len <= 8 && !memcmp(b, x86_nops[len], len);
}

/* Legacy prefixes of one instruction, and where its opcode starts. */
static size_t skip_prefixes(const __u8 *b, size_t len, bool *has_66, bool *bad)
{
	size_t i = 0;

	*has_66 = false;
	*bad = false;
	for (; i < len; i++) {
		switch (b[i]) {
		case 0x66:
			*has_66 = true;
			continue;
		/* is_prefix_bad(): uprobes refuse ES/CS/SS/DS and LOCK */
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0xf0:
			*bad = true;
			continue;
		case 0x64: case 0x65: case 0x67: case 0xf2: case 0xf3:
			continue;
		}
		break;
	}
	/* a REX prefix sits right before the opcode in 64-bit mode */
	if (i < len && (b[i] & 0xf0) == 0x40)
		i++;
	return i;
}

static void classify(struct insn *in, const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	const __u8 *b = ci->bytes;
	size_t len = ci->size, op;
	bool has_66, bad;
	__u8 o1, o2;
	int i;

	op = skip_prefixes(b, len, &has_66, &bad);
	o1 = op < len ? b[op] : 0;
	o2 = op + 1 < len ? b[op + 1] : 0;

	in->kind = IK_OTHER;
	switch (o1) {
	case 0xe8:
		in->kind = IK_CALL;
		break;
	case 0xe9: case 0xeb:
		in->kind = IK_JMP;
		break;
	case 0x70 ... 0x7f:
		in->kind = IK_JCC;
		break;
	case 0x0f:
		if (o2 >= 0x80 && o2 <= 0x8f)
			in->kind = IK_JCC;
		break;
	case 0x50 ... 0x57:
		in->kind = IK_PUSH;
		break;
	case 0xc3: case 0xc2:
		in->kind = IK_RET;
		break;
	case 0xcc:
		in->kind = IK_INT3;
		break;
	}
	/* "41 90" is xchg r8d, eax, not a nop: trust Capstone's id */
	if (ci->id == X86_INS_NOP)
		in->kind = IK_NOP;

	/* branch_setup_xol_ops(): nops, then rel jmp/call/jcc without 0x66 */
	if (bad)
		in->emulated = false;
	else if (is_kernel_nop(b, len) || (o1 == 0x90 && in->kind == IK_NOP))
		in->emulated = true;
	else if (in->kind == IK_CALL || in->kind == IK_JMP || in->kind == IK_JCC)
		in->emulated = !has_66;
	/* push_setup_xol_ops(): "push reg", alone or with REX 0x41 only */
	else if (in->kind == IK_PUSH)
		in->emulated = len == 1 || (len == 2 && b[0] == 0x41);
	in->rejected = bad;

	if (in->kind == IK_CALL || in->kind == IK_JMP || in->kind == IK_JCC) {
		for (i = 0; i < x->op_count; i++) {
			if (x->operands[i].type == X86_OP_IMM) {
				in->has_target = true;
				in->target = (__u64)x->operands[i].imm;
			}
		}
	}
	for (i = 0; i < x->op_count; i++) {
		const cs_x86_op *o = &x->operands[i];

		if (o->type == X86_OP_MEM && o->mem.base == X86_REG_RIP &&
		    o->mem.index == X86_REG_INVALID) {
			in->has_riprel = true;
			in->riprel = ci->address + ci->size + (__s64)o->mem.disp;
		}
	}
}

/* "mnemonic operands", cut to fit (long AVX operands only lose their tail). */
static void set_text(struct insn *in, const cs_insn *ci)
{
	char buf[sizeof(ci->mnemonic) + sizeof(ci->op_str) + 1];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), ci->op_str[0] ? "%s %s" : "%s", ci->mnemonic,
			     ci->op_str);
	if (n >= sizeof(in->text))
		n = sizeof(in->text) - 1;
	memcpy(in->text, buf, n);
	in->text[n] = '\0';
}

int decode__function(const __u8 *code, size_t len, __u64 addr, struct insn_list *out)
{
	const __u8 *p = code;
	size_t left = len, cap = 0;
	uint64_t pc = addr;
	cs_insn *ci = NULL;
	csh h;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	ci = cs_malloc(h);
	if (!ci) {
		err = -ENOMEM;
		goto close_cs;
	}
	while (left > 0) {
		struct insn *in;

		if (!cs_disasm_iter(h, &p, &left, &pc, ci)) {
			/* Go pads functions with int3; anything else is garbage */
			err = -EILSEQ;
			break;
		}
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct insn *nv = realloc(out->v, ncap * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			out->v = nv;
			cap = ncap;
		}
		in = &out->v[out->n++];
		memset(in, 0, sizeof(*in));
		in->addr = ci->address;
		in->len = ci->size;
		set_text(in, ci);
		classify(in, ci);
	}
	cs_free(ci, 1);
close_cs:
	cs_close(&h);
	if (err) {
		free(out->v);
		out->v = NULL;
		out->n = 0;
	}
	return err;
}

void decode__free(struct insn_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int decode__index_of(const struct insn_list *l, __u64 addr)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].addr == addr)
			return (int)mid;
		if (l->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

static bool text_is(const struct insn_list *l, size_t i, const char *s)
{
	return i < l->n && !strcmp(l->v[i].text, s);
}

static bool text_has_prefix(const struct insn_list *l, size_t i, const char *s)
{
	return i < l->n && !strncmp(l->v[i].text, s, strlen(s));
}

/* A conditional jump to the morestack call, which Go places in the function. */
static bool is_jcc_inside(const struct insn_list *l, size_t i, const char *mnem)
{
	__u64 lo, hi;

	if (i >= l->n || l->v[i].kind != IK_JCC || !l->v[i].has_target ||
	    !text_has_prefix(l, i, mnem) || l->v[i].text[strlen(mnem)] != ' ')
		return false;
	lo = l->v[0].addr;
	hi = l->v[l->n - 1].addr + l->v[l->n - 1].len;
	return l->v[i].target > l->v[i].addr && l->v[i].target < hi && l->v[i].target >= lo;
}

/* "cmp REG, qword ptr [r14 + 0x10]" (g.stackguard0) or + 0x18 (g.stackguard1) */
static bool is_guard_cmp(const struct insn_list *l, size_t i, const char *reg)
{
	char a[48], b[48];

	snprintf(a, sizeof(a), "cmp %s, qword ptr [r14 + 0x10]", reg);
	snprintf(b, sizeof(b), "cmp %s, qword ptr [r14 + 0x18]", reg);
	return text_is(l, i, a) || text_is(l, i, b);
}

/*
 * The three stack-check forms of stacksplit() (R14 is g since the register
 * ABI, go1.17), go1.19.8 cmd/internal/obj/x86/obj6.go:1073-1170, go1.27.3
 * obj6.go:975-1070:
 *   small:  cmp rsp, [r14+G]; jbe
 *   large:  lea r12, [rsp-N]; cmp r12, [r14+G]; jbe
 *   huge:   mov r12, rsp; sub r12, N; jb; cmp r12, [r14+G]; jbe
 * G is 0x10 (g.stackguard0), or 0x18 (g.stackguard1) for CFunc symbols
 * (e.g. go1.25+ runtime.stopTheWorldWithSema). The jbe (short or near) goes
 * to the morestack call at the end of the function.
 */
int decode__after_prologue(const struct insn_list *l)
{
	size_t i = 0;

	if (!l->n)
		return -ENOENT;
	/* ABI0 assembly functions first load g from TLS (go_tls.h get_tls) */
	if (text_has_prefix(l, 0, "mov r14, qword ptr fs:["))
		i = 1;
	if (is_guard_cmp(l, i, "rsp")) {
		i += 1;
	} else if (text_has_prefix(l, i, "lea r12, [rsp - ")) {
		if (!is_guard_cmp(l, i + 1, "r12"))
			return -ENOENT;
		i += 2;
	} else if (text_is(l, i, "mov r12, rsp")) {
		if (!text_has_prefix(l, i + 1, "sub r12, ") || !is_jcc_inside(l, i + 2, "jb") ||
		    !is_guard_cmp(l, i + 3, "r12"))
			return -ENOENT;
		i += 4;
	} else {
		return 0;
	}
	if (!is_jcc_inside(l, i, "jbe"))
		return -ENOENT;
	return (int)i + 1;
}
