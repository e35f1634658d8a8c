# skiff: `make` builds build/skiff; `make test` runs every test; `make run`
# boots the default guest (see README.md).
CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CPPFLAGS := -Isrc -D_GNU_SOURCE
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := -luring -lpthread
TEST_LDLIBS := -lcmocka -luring -lpthread

SRCS      := $(shell find src -name '*.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Shared test helpers (fakes, the guest-driver harness): linked into every test.
SUPPORT_SRCS := $(sort $(wildcard tests/unit/support/*.c))
SUPPORT_OBJS := $(SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)
# Only pattern rules name them, which would make them intermediate (deleted).
.SECONDARY: $(SUPPORT_OBJS)
# libFuzzer targets: clang only, built by `make fuzz` into build/fuzz/.
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS   := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
# The guest-driver harness (tests/unit/support) negotiates features for them.
FUZZ_LIB_SRCS := $(LIB_SRCS) tests/unit/support/virtio_driver.c

.PHONY: all test unit fuzz tools bench run guest deps clean
all: $(BUILD)/skiff

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libskiff.a: $(LIB_OBJS)
	@rm -f $@
	@$(AR) rcs $@ $^

$(BUILD)/skiff: $(BUILD)/obj/src/main.o $(BUILD)/libskiff.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(SUPPORT_OBJS) $(BUILD)/libskiff.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/unit $< $(SUPPORT_OBJS) $(BUILD)/libskiff.a -o $@ $(TEST_LDLIBS)

unit: $(TESTS)

# Benchmarks: bench/NAME.c -> $(BUILD)/bench/NAME, linked like a unit test
# (with the test harness in tests/unit/support) but never run by make test.
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCHES    := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: bench/%.c $(SUPPORT_OBJS) $(BUILD)/libskiff.a
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/unit $< $(SUPPORT_OBJS) $(BUILD)/libskiff.a -o $@ -lm $(TEST_LDLIBS)

bench: $(BENCHES)

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang $(CPPFLAGS) -Itests/fuzz -Itests/unit/support -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		$< $(FUZZ_LIB_SRCS) -o $@ -luring -lpthread

fuzz: $(FUZZERS)

# Static test programs that run inside the guest (packed into its initrd by
# guest/pack-test-initrd) or on the sandbox host: tests/integration/tools/NAME.c
# -> build/guest-tools/NAME. Static, so the busybox guest needs no libc.
TOOL_SRCS := $(sort $(wildcard tests/integration/tools/*.c))
TOOLS     := $(TOOL_SRCS:tests/integration/tools/%.c=build/guest-tools/%)

build/guest-tools/%: tests/integration/tools/%.c
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) -std=gnu11 $(WARN) -O2 -static $< -o $@

tools: $(TOOLS)

# The whole suite: dependencies, gcc + clang -Werror builds, unit tests
# (plain and under ASan/UBSan), the guest, and the KVM integration tests in
# the sandbox. Ends with "N passed, N failed".
test:
	bash tests/run-all.sh

run: all
	bash scripts/run-default-guest.sh $(ARGS)

guest:
	bash guest/build.sh

deps:
	bash scripts/deps.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
