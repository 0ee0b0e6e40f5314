# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# gopry — build, test and demo. Everything is built under $(OUTPUT).
OUTPUT ?= .output
CLANG ?= clang
CC ?= gcc
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(ARCH)
ifeq ($(wildcard $(VMLINUX_DIR)/vmlinux.h),)
$(error no $(VMLINUX_DIR)/vmlinux.h: run tools/gen-vmlinux.sh on a kernel with BTF)
endif

# Toolchains and built workloads are cached outside $(OUTPUT) so that
# `make clean` does not throw away minutes of downloads.
export GOPRY_CACHE ?= $(CURDIR)/.cache

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -D_GNU_SOURCE -std=gnu11 $(SANITIZE)
CPPFLAGS += -I$(OUTPUT) -Iuser -Ibpf -MMD -MP
LDLIBS := -lbpf -lelf -ldw -lz -lcapstone -lm
# -mcpu=v3: atomic exchange (kernel 5.12+) for the per-CPU rings' busy flag.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(VMLINUX_DIR) -Ibpf
# clang's own system include dirs, as idirafter, so that BPF programs see
# <bpf/...> but not the host's asm headers (libbpf-bootstrap does the same).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUTPUT)/gopry.skel.h
LIB_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/libgopry.a
BIN := $(OUTPUT)/gopry
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

.PHONY: all clean deps toolchains demo test test-unit test-e2e fuzz bench format vmlinux asan lint
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BIN)

deps:
	$(Q)tools/deps.sh

toolchains:
	$(Q)tools/fetch-go.sh

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

# One skeleton for the one linked BPF object.
$(OUTPUT)/gopry.bpf.o: $(BPF_OBJS) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/gopry.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name gopry_bpf >$@.tmp
	$(Q)mv $@.tmp $@

$(OUTPUT)/user/%.o: user/%.c | $(OUTPUT)/user $(SKEL)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(OUTPUT)/user/main.o $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# libFuzzer harness for the Go binary reader: its sources compiled with the
# harness under ASan/UBSan (libgopry.a is built without sanitizers).
FUZZ_GOBIN_SRCS := user/gobin.c user/elfimg.c user/buildinfo.c user/pclntab.c user/godwarf.c
$(OUTPUT)/fuzz/fuzz_gobin: tests/fuzz/fuzz_gobin.c $(FUZZ_GOBIN_SRCS) $(wildcard user/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -Iuser $(filter %.c,$^) -lelf -ldw -lz -o $@

# The unit tests and gopry again under ASan and UBSan, in their own output
# tree (the library and every object rebuilt with the sanitizers);
# tests/run.sh runs the tests, tests/e2e/sanitized.py that gopry.
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/asan SANITIZE="$(ASAN_FLAGS)" \
		$(patsubst $(OUTPUT)/%,$(OUTPUT)/asan/%,$(UNIT_BINS) $(BIN))

# cppcheck and clang-tidy on user/.
lint: all
	$(Q)tools/lint.sh

# Overhead benchmarks (minutes; not part of `make test`). README: PERFORMANCE.
# Tables also to $(OUTPUT)/bench.md, raw figures to $(OUTPUT)/bench.json.
bench: all
	$(Q){ tests/bench/bench.py --json $(OUTPUT)/bench.json; echo $$? >$(OUTPUT)/bench.rc; } \
		| tee $(OUTPUT)/bench.md; exit "$$(cat $(OUTPUT)/bench.rc)"

fuzz: $(OUTPUT)/fuzz/fuzz_gobin
	$(Q)tests/fuzz/smoke.sh

# The two README commands.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) asan
	$(Q)tests/run.sh

test-unit: all $(UNIT_BINS)
	$(Q)tests/run.sh unit

test-e2e: all
	$(Q)tests/run.sh e2e

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h tests/unit/*.c

vmlinux:
	$(Q)tools/gen-vmlinux.sh

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/user/*.d $(OUTPUT)/tests/*.d)
