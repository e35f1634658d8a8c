# skiff: `make` builds build/skiff; `make test` runs every test; `make run`
# boots the default guest (see README.md).
CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CPPFLAGS := -Isrc -D_GNU_SOURCE
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := -lpthread
TEST_LDLIBS := -lcmocka -lpthread

SRCS      := $(shell find src -name '*.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit run guest deps clean check-clang
all: $(BUILD)/skiff

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libskiff.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/skiff: $(BUILD)/obj/src/main.o $(BUILD)/libskiff.a
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libskiff.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/unit $< $(BUILD)/libskiff.a -o $@ $(TEST_LDLIBS)

unit: $(TESTS)

# The whole suite: dependencies, gcc + clang -Werror builds, unit tests
# (plain and under ASan/UBSan), the guest, and the KVM integration tests in
# the sandbox. Ends with "N passed, N failed".
test:
	bash tests/run-all.sh

run: all
	bash scripts/run-default-guest.sh

guest:
	bash guest/build.sh

deps:
	bash scripts/deps.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
