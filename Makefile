# csvpack - build, test, demo, install.
#
#   make            the three stages and the launcher, in bin/
#   make check      lint, unit tests (Check), end-to-end tests, the fault
#                   suite and the quick fault-injection sweep
#   make sanitize   the same tests on an ASan + UBSan build (build/san/)
#   make engines    the README's scale-out recipes on SLURM and GNU parallel
#                   (part of check too)
#   make demo       the launcher on examples/ into out/
#   make install    PREFIX=/usr/local DESTDIR=
#
# Dependencies are found with pkg-config; when one is missing, demo and
# check run scripts/install-deps first.

PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

SANITIZE ?=
ifeq ($(SANITIZE),1)
BUILD ?= build/san
BIN ?= build/san/bin
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT ?= -O1 -g
else
BUILD ?= build/obj
BIN ?= bin
SANFLAGS :=
OPT ?= -O2 -g
endif

PKGS := libxml-2.0 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

CC ?= cc
CFLAGS ?= $(OPT)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -DCSVPACK_VERSION='"$(VERSION)"' \
	$(WARN) $(SANFLAGS) -Icommon $(PKG_CFLAGS) $(CFLAGS)
LDLIBS := $(PKG_LIBS) -lrt -pthread
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)

COMMON_SRC := $(wildcard common/*.c)
PRODUCER_SRC := $(filter-out producer/main.c,$(wildcard producer/*.c))
CONVERTER_SRC := $(filter-out converter/main.c,$(wildcard converter/*.c))
PACKER_SRC := $(filter-out packer/main.c,$(wildcard packer/*.c))
ADMIN_SRC := $(filter-out admin/main.c,$(wildcard admin/*.c))
UNIT_SRC := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
# common/ as one static library: every program links it, and takes only
# the objects it uses.
LIB := $(BUILD)/libcsvpack.a
PRODUCER_OBJ := $(call obj,$(PRODUCER_SRC))
CONVERTER_OBJ := $(call obj,$(CONVERTER_SRC))
PACKER_OBJ := $(call obj,$(PACKER_SRC))
ADMIN_OBJ := $(call obj,$(ADMIN_SRC))
UNIT_OBJ := $(call obj,$(UNIT_SRC))

PROGRAMS := $(BIN)/csvpack-producer $(BIN)/csvpack-converter $(BIN)/csvpack-packer \
	$(BIN)/csvpack-admin $(BIN)/csvpack
UNIT := $(BUILD)/tests/unit-tests

.PHONY: all check lint unit e2e faults soak sanitize demo install clean deps bench ring-bench fuzz
all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Iproducer -Iconverter -Ipacker -Iadmin -MMD -MP -c $< -o $@

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# A program: its main.o and its own objects, then the library.
$(BIN)/csvpack-producer: $(BUILD)/producer/main.o $(PRODUCER_OBJ) $(LIB)
$(BIN)/csvpack-converter: $(BUILD)/converter/main.o $(CONVERTER_OBJ) $(LIB)
$(BIN)/csvpack-packer: $(BUILD)/packer/main.o $(PACKER_OBJ) $(LIB)
$(BIN)/csvpack-admin: $(BUILD)/admin/main.o $(ADMIN_OBJ) $(LIB)
$(BIN)/csvpack-producer $(BIN)/csvpack-converter $(BIN)/csvpack-packer \
		$(BIN)/csvpack-admin:
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/csvpack: scripts/csvpack
	@mkdir -p $(dir $@)
	cp $< $@ && chmod 755 $@

$(UNIT): $(UNIT_OBJ) $(PRODUCER_OBJ) $(CONVERTER_OBJ) $(PACKER_OBJ) $(ADMIN_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# Dependencies: install them when pkg-config cannot find one, then build
# again in a fresh make so the flags are read anew.
deps:
	@pkg-config --exists $(PKGS) check && command -v xmllint >/dev/null \
		&& command -v python3 >/dev/null && command -v curl >/dev/null \
		&& command -v gdb >/dev/null && command -v shellcheck >/dev/null \
		&& command -v groff >/dev/null || scripts/install-deps

# One suite after the other, even under make -j: the e2e and fault suites
# each check that /dev/shm holds nothing of theirs afterwards.
check: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory faults
	@$(MAKE) --no-print-directory engines
ifneq ($(SANITIZE),1)
	@$(MAKE) --no-print-directory inject-quick
endif

# The shell scripts pass shellcheck; the man pages render without warnings.
SCRIPTS := scripts/csvpack scripts/install-deps .ci/run scripts/completion/csvpack.bash
lint:
	shellcheck $(SCRIPTS)
	@for m in docs/*.1; do \
		out=$$(groff -man -Tutf8 -ww -z $$m 2>&1); \
		[ -z "$$out" ] || { echo "$$m: $$out"; exit 1; }; \
	done; echo "lint: scripts and man pages clean"

unit: $(UNIT)
	CK_DEFAULT_TIMEOUT=60 $(UNIT)

e2e: $(PROGRAMS)
	CSVPACK_BIN=$(abspath $(BIN)) python3 tests/e2e/run.py

faults: $(PROGRAMS)
	CSVPACK_BIN=$(abspath $(BIN)) python3 tests/faults/run.py

# The README's scale-out recipes on the real engines (tests/engines/): a
# one-node SLURM cluster and GNU parallel over ssh to a loopback sshd, each
# started and stopped by its test (some 20 s together, hence in check).
# Their packages are installed when missing; an engine that cannot be
# installed or started here is a skipped test saying which and why.
.PHONY: engines
engines: $(PROGRAMS)
	@[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/sbin/munged ] \
		&& [ -x /usr/sbin/sshd ] && command -v parallel >/dev/null \
		|| scripts/install-deps --with-engines \
		|| echo "engines: their packages could not be installed; the tests will say what is missing"
	CSVPACK_BIN=$(abspath $(BIN)) python3 tests/engines/run.py

soak: $(PROGRAMS)
	CSVPACK_BIN=$(abspath $(BIN)) python3 tests/faults/run.py --soak

sanitize: deps
	@$(MAKE) --no-print-directory check SANITIZE=1

demo: deps
	@$(MAKE) --no-print-directory all
	rm -rf out
	$(BIN)/csvpack -o out -b 2 -r 500 examples/*.csv
	@echo "--- archives in out/:"
	@ls -l out
	@echo "--- first document of the first archive:"
	@tar -xzOf out/000001.tgz 000001.xml | head -n 6

# The four programs and the launcher side by side in PREFIX/bin (the
# launcher runs the stages beside it), the man pages gzip -9n'd as Debian
# installs them, the bash completion.  uninstall removes those files and
# nothing else: the directories may hold others' files, so they stay.
MAN1DIR = $(PREFIX)/share/man/man1
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
MANPAGES := $(notdir $(wildcard docs/*.1))
.PHONY: uninstall
install: all
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(MAN1DIR)" "$(DESTDIR)$(BASHCOMPDIR)"
	install -m 755 $(PROGRAMS) "$(DESTDIR)$(PREFIX)/bin/"
	set -e; for m in $(MANPAGES); do \
		gzip -9n -c docs/$$m >"$(DESTDIR)$(MAN1DIR)/$$m.gz"; \
		chmod 644 "$(DESTDIR)$(MAN1DIR)/$$m.gz"; \
	done
	install -m 644 scripts/completion/csvpack.bash "$(DESTDIR)$(BASHCOMPDIR)/csvpack"

uninstall:
	set -e; for p in $(notdir $(PROGRAMS)); do rm -f "$(DESTDIR)$(PREFIX)/bin/$$p"; done
	set -e; for m in $(MANPAGES); do rm -f "$(DESTDIR)$(MAN1DIR)/$$m.gz"; done
	rm -f "$(DESTDIR)$(BASHCOMPDIR)/csvpack"

clean:
	rm -rf build bin out

# Benchmarks (bench/README.md): the pipeline against tar | gzip on the same
# XML, and the shared-memory ring against a pipe.  make bench ROWS=N RUNS=K
# BIG=GB (BIG adds the flat-memory check on GB gigabytes of streamed CSV).
ROWS ?= 500000
RUNS ?= 5
BIG ?=
RING_BENCH := build/bench/ring_bench

bench: $(PROGRAMS) $(RING_BENCH)
	python3 bench/bench.py --rows $(ROWS) --runs $(RUNS) --bin $(BIN) \
		$(if $(BIG),--big $(BIG))
	$(RING_BENCH)

# Always optimised and never sanitized, whatever SANITIZE says; the same
# warnings as the rest.
$(RING_BENCH): bench/ring_bench.c common/ring.c common/event.c \
		common/ring.h common/event.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -Icommon -o $@ \
		bench/ring_bench.c common/ring.c common/event.c -lrt -pthread

ring-bench: $(RING_BENCH)
	$(RING_BENCH)

# libFuzzer over the CSV reader and the XML writer; SECONDS bounds the run.
FUZZ := build/fuzz/fuzz_csv_xml
FUZZ_SRC := tests/fuzz/fuzz_csv_xml.c common/csv.c common/utf8.c common/buf.c common/xml_chars.c \
	converter/xml_doc.c converter/xml_fast.c common/xml_names.c common/xml_shape.c \
	common/fail.c common/msg.c converter/xml_pool.c
SECONDS ?= 60
$(FUZZ): $(FUZZ_SRC) $(wildcard common/*.h converter/*.h)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Icommon -Iconverter $(PKG_CFLAGS) -o $@ $(FUZZ_SRC) $(PKG_LIBS)

fuzz: deps
	@command -v clang >/dev/null || scripts/install-deps --with-extras
	@$(MAKE) --no-print-directory $(FUZZ)
	@mkdir -p build/fuzz/corpus
	$(FUZZ) -max_total_time=$(SECONDS) -max_len=65536 -timeout=10 \
		-print_final_stats=1 build/fuzz/corpus tests/fuzz/corpus

-include $(shell find build -name '*.d' 2>/dev/null)

# Fault injection (tests/inject/): an LD_PRELOAD shim fails one libc call
# at a time in one stage, and the sweep checks exit status, message, IPC,
# archives and --resume after each.  Plain build only: the shim cannot load
# under ASan.  make inject INJECT_ARGS='--only packer:fsync -j 4 --keep'
INJECT_SO := build/inject/inject.so
INJECT_ARGS ?=
.PHONY: inject inject-quick
$(INJECT_SO): tests/inject/inject.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -g -shared -fPIC -o $@ $< -ldl
inject inject-quick: $(PROGRAMS) $(INJECT_SO)
	@[ "$(SANITIZE)" != 1 ] || { echo "$@: the shim cannot load under ASan; run it on the plain build"; exit 2; }
	CSVPACK_BIN=$(abspath $(BIN)) INJECT_SO=$(abspath $(INJECT_SO)) \
		python3 tests/inject/sweep.py $(if $(filter inject-quick,$@),--quick) $(INJECT_ARGS)
