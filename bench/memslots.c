/* memslots: cost of the guest memory map at 10 to 32764 regions.
 *
 * For each region count: add, lookup by gpa (guest_mem_map, the device
 * path, lock included), lookup by hva, move and delete, in ns per operation,
 * median of REPS runs; then the same adds, moves and deletes mirrored into
 * a real KVM VM through vmm/mem_kvm when /dev/kvm opens, and the total time
 * to set up all regions. Regions are one page each, every other page of
 * guest-physical space, added in a scrambled order; lookups hit random
 * regions so the last-hit cache rarely helps.
 *
 *   build/bench/memslots               the table
 *   build/bench/memslots --lookups N   only N regions and LOOKUPS lookups of
 *                                      each kind (for valgrind --tool=callgrind)
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "mem/guest_mem.h"
#include "vmm/mem_kvm.h"

#define PAGE GUEST_MEM_PAGE_SIZE
#define REPS 7
#define KVM_REPS 3
#define LOOKUPS 200000
#define MOVE_OFFSET (1ULL << 32) /* moves go above every region's gpa */

enum { ADD, LOOK_GPA, LOOK_HVA, MOVE, DEL, SETUP, NCOLS };
static const char *const names[NCOLS] = { "Add", "Lookup gpa", "Lookup hva", "Move", "Delete",
					  "Setup (all)" };

struct ctx {
	uint32_t n;
	uint8_t *hva;     /* n pages of host memory, never touched */
	uint32_t *order;  /* scrambled region order */
	uint64_t *probe_gpa;
	uint8_t **probe_hva;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int ctx_init(struct ctx *c, uint32_t n)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ n;

	c->n = n;
	c->hva = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	c->order = malloc(n * sizeof(*c->order));
	c->probe_gpa = malloc(LOOKUPS * sizeof(*c->probe_gpa));
	c->probe_hva = malloc(LOOKUPS * sizeof(*c->probe_hva));
	if (c->hva == MAP_FAILED || !c->order || !c->probe_gpa || !c->probe_hva)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		c->order[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd(&seed) % (i + 1)), t = c->order[i];

		c->order[i] = c->order[j];
		c->order[j] = t;
	}
	for (int i = 0; i < LOOKUPS; i++) {
		uint64_t r = rnd(&seed) % n, off = rnd(&seed) % PAGE;

		c->probe_gpa[i] = 2 * r * PAGE + off;
		c->probe_hva[i] = c->hva + r * PAGE + off;
	}
	return 0;
}

static int add_all(struct guest_mem *mem, const struct ctx *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t s = c->order[i];
		int r = guest_mem_region_add(mem, 2 * s * PAGE, PAGE, c->hva + s * PAGE,
					     GUEST_MEM_RAM, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Ids are handed out in add order: id i is the region of order[i]. */
static int move_all(struct guest_mem *mem, const struct ctx *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		int r = guest_mem_region_move(mem, i, MOVE_OFFSET + 2 * c->order[i] * PAGE);

		if (r < 0)
			return r;
	}
	return 0;
}

static int del_all(struct guest_mem *mem, const struct ctx *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		int r = guest_mem_region_del(mem, i);

		if (r < 0)
			return r;
	}
	return 0;
}

static volatile uintptr_t sink;

static void lookups(const struct guest_mem *mem, const struct ctx *c, int count, double *gpa_ns,
		    double *hva_ns)
{
	uintptr_t acc = 0;
	uint64_t g;
	double t;

	t = now_ns();
	for (int i = 0; i < count; i++)
		acc += (uintptr_t)guest_mem_map(mem, c->probe_gpa[i], 1, GUEST_MEM_READ);
	*gpa_ns = (now_ns() - t) / count;
	t = now_ns();
	for (int i = 0; i < count; i++)
		if (guest_mem_hva_to_gpa(mem, c->probe_hva[i], &g) == 0)
			acc += g;
	*hva_ns = (now_ns() - t) / count;
	sink = acc;
}

/* Map only: every column but SETUP per op; SETUP is the add phase total. */
static int run_map(const struct ctx *c, double out[NCOLS])
{
	double v[NCOLS][REPS];
	/* Enough cycles that even 10 regions time thousands of operations. */
	uint32_t cycles = c->n >= 4096 ? 1 : 4096 / c->n;

	for (int rep = 0; rep < REPS; rep++) {
		double sum[NCOLS] = { 0 };

		for (uint32_t k = 0; k < cycles; k++) {
			struct guest_mem mem;
			double t;

			if (guest_mem_create(&mem) < 0)
				return -ENOMEM;
			t = now_ns();
			if (add_all(&mem, c) < 0)
				return -EIO;
			sum[ADD] += now_ns() - t;
			if (k == 0)
				lookups(&mem, c, LOOKUPS, &sum[LOOK_GPA], &sum[LOOK_HVA]);
			t = now_ns();
			if (move_all(&mem, c) < 0)
				return -EIO;
			sum[MOVE] += now_ns() - t;
			t = now_ns();
			if (del_all(&mem, c) < 0)
				return -EIO;
			sum[DEL] += now_ns() - t;
			guest_mem_destroy(&mem);
		}
		v[SETUP][rep] = sum[ADD] / cycles;
		v[ADD][rep] = sum[ADD] / ((double)cycles * c->n);
		v[MOVE][rep] = sum[MOVE] / ((double)cycles * c->n);
		v[DEL][rep] = sum[DEL] / ((double)cycles * c->n);
		v[LOOK_GPA][rep] = sum[LOOK_GPA];
		v[LOOK_HVA][rep] = sum[LOOK_HVA];
	}
	for (int i = 0; i < NCOLS; i++)
		out[i] = median(v[i], REPS);
	return 0;
}

/* With KVM: the same changes, each one a KVM_SET_USER_MEMORY_REGION. */
static int run_kvm(const struct kvm_sys *sys, const struct ctx *c, double out[NCOLS])
{
	double v[NCOLS][KVM_REPS];

	for (int rep = 0; rep < KVM_REPS; rep++) {
		struct guest_mem mem;
		int fd = kvm_vm_create(sys), r;
		double t;

		if (fd < 0)
			return fd;
		if (guest_mem_create(&mem) < 0 || (r = mem_kvm_attach(&mem, fd)) < 0) {
			close(fd);
			return -EIO;
		}
		t = now_ns();
		r = add_all(&mem, c);
		v[SETUP][rep] = now_ns() - t;
		v[ADD][rep] = v[SETUP][rep] / c->n;
		t = now_ns();
		if (r == 0)
			r = move_all(&mem, c);
		v[MOVE][rep] = (now_ns() - t) / c->n;
		t = now_ns();
		if (r == 0)
			r = del_all(&mem, c);
		v[DEL][rep] = (now_ns() - t) / c->n;
		guest_mem_destroy(&mem);
		close(fd);
		if (r < 0)
			return r;
	}
	for (int i = 0; i < NCOLS; i++)
		out[i] = i == LOOK_GPA || i == LOOK_HVA ? NAN : median(v[i], KVM_REPS);
	return 0;
}

static void print_val(double ns, int total)
{
	if (isnan(ns))
		printf("  %14s", "-");
	else if (total && ns >= 1e6)
		printf("  %11.2f ms", ns / 1e6);
	else if (total)
		printf("  %11.1f us", ns / 1e3);
	else
		printf("  %11.1f ns", ns);
}

static int callgrind_mode(uint32_t n)
{
	struct guest_mem mem;
	struct ctx c;
	double g, h;

	if (ctx_init(&c, n) < 0 || guest_mem_create(&mem) < 0 || add_all(&mem, &c) < 0)
		return 1;
	lookups(&mem, &c, LOOKUPS, &g, &h);
	printf("%u regions: %d lookups by gpa and by hva done\n", n, LOOKUPS);
	guest_mem_destroy(&mem);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 10, 100, 509, 8194, 32764 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	double map[NS][NCOLS], kvm[NS][NCOLS];
	struct kvm_sys sys;
	int have_kvm, r;

	if (argc == 3 && strcmp(argv[1], "--lookups") == 0)
		return callgrind_mode((uint32_t)strtoul(argv[2], NULL, 0));
	r = kvm_sys_open(&sys);
	have_kvm = r == 0;
	printf("Guest memory map: ns per operation, median of %d runs (KVM: %d runs)\n", REPS,
	       KVM_REPS);
	if (!have_kvm)
		printf("KVM column skipped: /dev/kvm: %s\n", strerror(-r));
	for (int s = 0; s < NS; s++) {
		struct ctx c;

		if (ctx_init(&c, sizes[s]) < 0 || run_map(&c, map[s]) < 0) {
			fprintf(stderr, "memslots: %u regions failed\n", sizes[s]);
			return 1;
		}
		for (int i = 0; i < NCOLS; i++)
			kvm[s][i] = NAN;
		if (have_kvm) {
			int cap = kvm_sys_check_cap(&sys, KVM_CAP_NR_MEMSLOTS);

			if (cap >= 0 && (uint32_t)cap < sizes[s])
				printf("(KVM has only %d memslots: KVM column skipped)\n", cap);
			else if ((r = run_kvm(&sys, &c, kvm[s])) < 0)
				printf("(KVM run failed: %s)\n", strerror(-r));
		}
		printf("\n%u slots in use:\n%-14s  %14s  %14s\n", sizes[s], "Test", "Map", "Map+KVM");
		for (int i = 0; i < NCOLS; i++) {
			printf("%-14s", names[i]);
			print_val(map[s][i], i == SETUP);
			print_val(kvm[s][i], i == SETUP);
			printf("\n");
		}
		munmap(c.hva, c.n * PAGE);
		free(c.order);
		free(c.probe_gpa);
		free(c.probe_hva);
	}
	printf("\nPer-op cost at 32764 vs 100 regions (log2 ratio %.2fx, linear %.0fx):\n",
	       log2(32764.0) / log2(100.0), 32764.0 / 100.0);
	for (int i = 0; i < SETUP; i++) {
		printf("  %-12s %5.2fx", names[i], map[NS - 1][i] / map[1][i]);
		if (!isnan(kvm[NS - 1][i]) && !isnan(kvm[1][i]))
			printf("   with KVM %5.2fx", kvm[NS - 1][i] / kvm[1][i]);
		printf("\n");
	}
	if (have_kvm)
		kvm_sys_close(&sys);
	return 0;
}
