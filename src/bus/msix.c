/* msix: MSI-X capability, table, PBA and delivery (PCI 3.0, 6.8.2). */
#include "bus/msix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define ENTRY_SIZE PCI_MSIX_ENTRY_SIZE /* 16 */

static uint32_t pba_len(uint16_t nvec)
{
	return (uint32_t)(nvec + 63) / 64 * 8;
}

static bool pending(const struct msix *m, uint16_t v)
{
	return (m->pba[v / 64] >> (v % 64)) & 1;
}

static void set_pending(struct msix *m, uint16_t v, bool on)
{
	if (on)
		m->pba[v / 64] |= 1ull << (v % 64);
	else
		m->pba[v / 64] &= ~(1ull << (v % 64));
}

static bool vector_masked(const struct msix *m, uint16_t v)
{
	return m->function_masked || (m->vec[v].control & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* Bring the vector's route up to date with its table entry (lock held). */
static int commit_route(struct msix *m, uint16_t v)
{
	struct msix_vector *e = &m->vec[v];
	int r;

	if (!e->dirty)
		return 0;
	r = gsi_set_msi(m->router, (uint32_t)e->gsi,
			(uint64_t)e->address_hi << 32 | e->address_lo, e->data);
	if (r < 0) {
		atomic_fetch_add_explicit(&m->route_errors, 1, memory_order_relaxed);
		log_debug("msix: routing vector %u (GSI %d) failed: %d", v, e->gsi, r);
		return r;
	}
	e->dirty = false;
	return 0;
}

/* Send vector v's message now (lock held; it is enabled and unmasked). */
static int fire(struct msix *m, uint16_t v)
{
	int r = commit_route(m, v);

	if (r < 0)
		return r;
	/* Only fails when the counter would overflow: it is then already
	 * non-zero, so an interrupt is on its way anyway. */
	(void)eventfd_write(m->vec[v].efd, 1);
	return 0;
}

/* What an outside writer (vhost) signalled on external vector v while
 * its irqfd was unbound becomes v's pending bit (lock held). */
static void collect_external(struct msix *m, uint16_t v)
{
	eventfd_t n;

	if (m->vec[v].external && !m->vec[v].bound && eventfd_read(m->vec[v].efd, &n) == 0 && n)
		set_pending(m, v, true);
}

/* An external vector's irqfd is bound to its GSI exactly while the vector
 * can fire (lock held). Unbound, KVM leaves the eventfd's count alone, so
 * a masked vector sends nothing and its signals turn into the pending bit
 * (collect_external); this is what QEMU's masking notifiers do for vhost.
 * Binding an eventfd that already counts makes KVM inject at once (irqfd
 * assign polls it), so a signal racing the unmask still arrives. */
static void sync_external(struct msix *m, uint16_t v)
{
	struct msix_vector *e = &m->vec[v];
	bool can_fire = m->enabled && !vector_masked(m, v);
	int r;

	if (!e->external || e->bound == can_fire)
		return;
	if (!can_fire) {
		r = gsi_irqfd_deassign(m->router, e->efd, (uint32_t)e->gsi);
		e->bound = r < 0; /* KVM refusing leaves it bound */
	} else {
		collect_external(m, v);
		if (commit_route(m, v) < 0)
			return; /* stays unbound: the vector cannot fire anyway */
		r = gsi_irqfd_assign(m->router, e->efd, (uint32_t)e->gsi);
		e->bound = r == 0;
	}
	if (r < 0) {
		atomic_fetch_add_explicit(&m->route_errors, 1, memory_order_relaxed);
		log_debug("msix: %s vector %u's irqfd (GSI %d) failed: %d",
			  can_fire ? "binding" : "unbinding", v, e->gsi, r);
	}
}

/* Vector v may have become unmasked: route it, send what is pending
 * (6.8.2.10: a pending message is sent once the vector is unmasked). */
static void unmasked(struct msix *m, uint16_t v)
{
	sync_external(m, v);
	if (!m->enabled || vector_masked(m, v))
		return;
	if (commit_route(m, v) < 0)
		return;
	if (pending(m, v)) {
		set_pending(m, v, false);
		fire(m, v);
	}
}

static void cap_write(struct pci_dev *d, void *opaque, uint32_t off, uint32_t len)
{
	struct msix *m = opaque;
	uint32_t ctrl;

	if (off + len <= PCI_MSIX_FLAGS)
		return;
	ctrl = pci_dev_cfg_get(d, (unsigned int)m->cap_off + PCI_MSIX_FLAGS, 2);
	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->function_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	for (uint16_t v = 0; v < m->nvec; v++)
		unmasked(m, v);
	pthread_mutex_unlock(&m->lock);
}

static const struct pci_cap_ops cap_ops = { .write = cap_write };

static void put_le(uint8_t *p, uint64_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t *entry_dword(struct msix_vector *e, unsigned int i)
{
	switch (i) {
	case 0: return &e->address_lo;
	case 1: return &e->address_hi;
	case 2: return &e->data;
	default: return &e->control;
	}
}

static void table_write_dword(struct msix *m, uint16_t v, unsigned int i, uint32_t val)
{
	struct msix_vector *e = &m->vec[v];
	bool was_masked = e->control & PCI_MSIX_ENTRY_CTRL_MASKBIT;

	switch (i) {
	case 0:
		val &= ~3u; /* 6.8.2.6: bits 1:0 of the address are zero */
		/* fall through */
	case 1:
	case 2:
		if (*entry_dword(e, i) != val) {
			*entry_dword(e, i) = val;
			e->dirty = true;
		}
		/* Reprogramming an unmasked vector is undefined (6.8.2.6), but
		 * following it at once is what a guest would hope for. */
		if (m->enabled && !vector_masked(m, v))
			commit_route(m, v);
		break;
	default:
		e->control = val & PCI_MSIX_ENTRY_CTRL_MASKBIT; /* the rest is reserved */
		if (was_masked && !(val & PCI_MSIX_ENTRY_CTRL_MASKBIT))
			unmasked(m, v);
		else if (!was_masked && (val & PCI_MSIX_ENTRY_CTRL_MASKBIT))
			sync_external(m, v);
		break;
	}
}

/* off/len are within [0, len) of the table or PBA; 4 or 8, aligned. */
static bool good_width(uint64_t off, uint32_t len)
{
	return (len == 4 || len == 8) && off % len == 0;
}

int msix_read(struct msix *m, uint64_t off, uint8_t *data, uint32_t len)
{
	uint64_t tlen = (uint64_t)m->nvec * ENTRY_SIZE;

	if (off >= m->table_off && off - m->table_off < tlen) {
		off -= m->table_off;
		if (!good_width(off, len) || off + len > tlen) {
			atomic_fetch_add_explicit(&m->guest_errors, 1, memory_order_relaxed);
			memset(data, 0xff, len);
			return 0;
		}
		pthread_mutex_lock(&m->lock);
		for (uint32_t i = 0; i < len; i += 4) {
			struct msix_vector *e = &m->vec[(off + i) / ENTRY_SIZE];

			put_le(data + i, *entry_dword(e, (unsigned int)((off + i) % ENTRY_SIZE) / 4), 4);
		}
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	if (off >= m->pba_off && off - m->pba_off < pba_len(m->nvec)) {
		off -= m->pba_off;
		if (!good_width(off, len) || off + len > pba_len(m->nvec)) {
			atomic_fetch_add_explicit(&m->guest_errors, 1, memory_order_relaxed);
			memset(data, 0xff, len);
			return 0;
		}
		pthread_mutex_lock(&m->lock);
		for (uint32_t v = (uint32_t)off * 8; v < (uint32_t)(off + len) * 8 && v < m->nvec; v++)
			collect_external(m, (uint16_t)v);
		put_le(data, m->pba[off / 8] >> (8 * (off % 8)), len);
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	return -ENOENT;
}

int msix_write(struct msix *m, uint64_t off, const uint8_t *data, uint32_t len)
{
	uint64_t tlen = (uint64_t)m->nvec * ENTRY_SIZE;

	if (off >= m->table_off && off - m->table_off < tlen) {
		off -= m->table_off;
		if (!good_width(off, len) || off + len > tlen) {
			atomic_fetch_add_explicit(&m->guest_errors, 1, memory_order_relaxed);
			return 0;
		}
		pthread_mutex_lock(&m->lock);
		for (uint32_t i = 0; i < len; i += 4)
			table_write_dword(m, (uint16_t)((off + i) / ENTRY_SIZE),
					  (unsigned int)((off + i) % ENTRY_SIZE) / 4,
					  (uint32_t)get_le(data + i, 4));
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	if (off >= m->pba_off && off - m->pba_off < pba_len(m->nvec)) {
		/* 6.8.2.10: the PBA is read-only to software. */
		atomic_fetch_add_explicit(&m->guest_errors, 1, memory_order_relaxed);
		return 0;
	}
	return -ENOENT;
}

static void bar_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	if (msix_read(opaque, off, data, len) < 0)
		memset(data, 0xff, len);
}

static void bar_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	(void)msix_write(opaque, off, data, len);
}

const struct io_bus_ops msix_bar_ops = { .read = bar_read, .write = bar_write };

int msix_signal(struct msix *m, uint16_t v)
{
	int r;

	if (v >= m->nvec)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (!m->enabled) {
		r = -ENODEV;
	} else if (vector_masked(m, v)) {
		set_pending(m, v, true);
		r = 1;
	} else {
		r = fire(m, v);
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

int msix_vector_irqfd(struct msix *m, uint16_t v)
{
	if (v >= m->nvec)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	m->vec[v].external = true;
	sync_external(m, v);
	pthread_mutex_unlock(&m->lock);
	return m->vec[v].efd;
}

bool msix_enabled(struct msix *m)
{
	bool on;

	pthread_mutex_lock(&m->lock);
	on = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return on;
}

static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

void msix_destroy(struct msix *m)
{
	for (uint16_t v = 0; m->vec && v < m->nvec; v++) {
		struct msix_vector *e = &m->vec[v];

		if (e->bound)
			gsi_irqfd_deassign(m->router, e->efd, (uint32_t)e->gsi);
		if (e->efd >= 0)
			close(e->efd);
		if (e->gsi >= 0)
			gsi_free(m->router, (uint32_t)e->gsi);
	}
	free(m->vec);
	free(m->pba);
	m->vec = NULL;
	m->pba = NULL;
	pthread_mutex_destroy(&m->lock);
}

static int setup_vectors(struct msix *m)
{
	for (uint16_t v = 0; v < m->nvec; v++) {
		struct msix_vector *e = &m->vec[v];
		int r = gsi_alloc(m->router);

		if (r < 0)
			return r;
		e->gsi = r;
		e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (e->efd < 0)
			return -errno;
		r = gsi_irqfd_assign(m->router, e->efd, (uint32_t)e->gsi);
		if (r < 0) {
			close(e->efd);
			e->efd = -1;
			return r;
		}
		e->bound = true;
	}
	return 0;
}

int msix_init(struct msix *m, struct pci_dev *d, struct gsi_router *router, uint16_t nvec,
	      unsigned int bar, uint32_t table_off, uint32_t pba_off)
{
	uint8_t cap[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX }, wmask[MSIX_CAP_LEN] = { 0 };
	uint64_t tlen = (uint64_t)nvec * ENTRY_SIZE, size;
	int r;

	if (nvec == 0 || nvec > MSIX_MAX_VECTORS || bar >= PCI_STD_NUM_BARS || d->bus ||
	    (d->bars[bar].type != PCI_BAR_MMIO32 && d->bars[bar].type != PCI_BAR_MMIO64) ||
	    table_off % 8 || pba_off % 8)
		return -EINVAL;
	size = d->bars[bar].size;
	if (!inside(table_off, tlen, size) || !inside(pba_off, pba_len(nvec), size) ||
	    (table_off < pba_off + pba_len(nvec) && pba_off < table_off + tlen))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->router = router;
	m->dev = d;
	m->nvec = nvec;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	r = -pthread_mutex_init(&m->lock, NULL);
	if (r < 0)
		return r;
	m->vec = calloc(nvec, sizeof(*m->vec));
	m->pba = calloc(pba_len(nvec) / 8, sizeof(*m->pba));
	for (uint16_t v = 0; m->vec && v < nvec; v++) {
		m->vec[v].control = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		m->vec[v].gsi = m->vec[v].efd = -1;
	}
	r = m->vec && m->pba ? setup_vectors(m) : -ENOMEM;
	if (r == 0) {
		/* 6.8.2: Message Control (Table Size N-1, RO; Function Mask and
		 * MSI-X Enable, RW), Table and PBA Offset/BIR (RO). */
		put_le(&cap[PCI_MSIX_FLAGS], nvec - 1u, 2);
		put_le(&cap[PCI_MSIX_TABLE], table_off | bar, 4);
		put_le(&cap[PCI_MSIX_PBA], pba_off | bar, 4);
		wmask[PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
		r = pci_dev_add_cap(d, cap, sizeof(cap), wmask, &cap_ops, m);
		if (r >= 0) {
			m->cap_off = r;
			return 0;
		}
	}
	msix_destroy(m);
	return r;
}
