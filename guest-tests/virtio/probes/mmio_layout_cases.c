/* MMIO register-layout statement cases (VIRTIO 1.2 §4.2.2.1): InterruptStatus, queues that are not ready, QueueReset and virtqueue reset. */
#include "probe.h"
#include "session.h"
#include "statements.h"

static uint8_t buf[2][32] __attribute__((aligned(16)));
static struct vbuf entropy_buf(int i) { return (struct vbuf){ buf[i], sizeof(buf[i]), true }; }

PROBE_CASE(mmio_isr_held, "virtio.mmio.interrupt_status_held", AVPS_CHECKS("InterruptStatus bit 0 stays set across 50 reads after a used buffer, and clears once InterruptACK acknowledges it"),
	   MMIO_LAYOUT(3))
static void mmio_isr_held(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
		return;
	struct vbuf b = entropy_buf(0);
	if (!vs_call(&s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request"))
		return;
	uint32_t isr = vmmio_wait_isr(s.t, VIRTIO_ISR_USED, 100000);
	if (!probe_check(isr & VIRTIO_ISR_USED, "%s: no InterruptStatus bit 0 within 100 ms of the used entry",
			 vdev_name(d)))
		return;
	int cleared = -1;
	for (int i = 0; i < 50 && cleared < 0; i++)
		if (!(vmmio_read(s.t, VMMIO_INTERRUPT_STATUS) & VIRTIO_ISR_USED))
			cleared = i;
	probe_check(cleared < 0, "%s: InterruptStatus bit 0 cleared by itself at read %d, before any InterruptACK",
		    vdev_name(d), cleared);
	vmmio_ack(s.t, VIRTIO_ISR_USED);
	isr = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
	probe_check(!(isr & VIRTIO_ISR_USED), "%s: InterruptStatus 0x%x after acknowledging bit 0 (nothing new used)",
		    vdev_name(d), isr);
	vs_close(&s);
}

/* A device that raises an event nobody caused (a used-buffer notification as its rings start) does so at a
 * moment of its own: each round watches InterruptStatus for a quiet window after DRIVER_OK, not one read. */
#define PHANTOM_ROUNDS 4
#define PHANTOM_QUIET_US 20000

PROBE_CASE(mmio_isr_no_phantom, "virtio.mmio.interrupt_status_only_real_events", AVPS_CHECKS("InterruptStatus stays 0 for 20 ms after DRIVER_OK before any buffer is made available, and never shows the config-change or undefined bits while the configuration does not change (4 device starts)"),
	   MMIO_LAYOUT(4))
static void mmio_isr_no_phantom(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	bool ok = true;
	int round = 0;
	if (!d)
		return;
	while (ok && round < PHANTOM_ROUNDS) {
		if (!vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK))
			return;
		round++;
		uint32_t isr = vmmio_wait_isr(s.t, ~0u, PHANTOM_QUIET_US);
		ok = probe_check(isr == 0, "%s: start %d: InterruptStatus 0x%x within %d ms after DRIVER_OK, before any "
				 "buffer was made available", vdev_name(d), round, isr, PHANTOM_QUIET_US / 1000);
		for (int i = 0; i < 4 && ok; i++) {
			struct vbuf b = entropy_buf(0);
			if (!vs_call(&s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request")) {
				ok = false;
				break;
			}
			isr = s.t->isr_seen | vmmio_wait_isr(s.t, VIRTIO_ISR_USED, 100000);
			ok = probe_check((isr & ~VIRTIO_ISR_USED) == 0, "%s: start %d, request %d: InterruptStatus 0x%x: bits "
					 "beyond the used-buffer event are set (the entropy device has no configuration to "
					 "change)", vdev_name(d), round, i, isr);
			vmmio_ack(s.t, isr & VIRTIO_ISR_USED);
		}
		vs_close(&s);
	}
	probe_diag("%s: %d of %d device starts watched", vdev_name(d), round, PHANTOM_ROUNDS);
}

PROBE_CASE(mmio_not_ready, "virtio.mmio.queue_not_ready_untouched", AVPS_CHECKS("a fully programmed but not ready queue with a buffer and a notification stays untouched until QueueReady is 1"),
	   MMIO_LAYOUT(7))
static void mmio_not_ready(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_ENTROPY, "entropy device");
	struct vsession s;
	struct virtq_used u;
	if (!d || !vs_open(&s, d, 0, 0, VIRTQ_SPLIT, 8, VS_FEATURES_OK))
		return;
	static struct virtq_storage mem;
	struct virtq q;
	virtq_init(&q, &mem, VIRTQ_SPLIT, 8, 0, false);
	/* Programme queue 0 exactly as vmmio_queue_enable would, but leave QueueReady 0. */
	vmmio_write(s.t, VMMIO_QUEUE_SEL, 0);
	vmmio_write(s.t, VMMIO_QUEUE_NUM, q.size);
	uint64_t a[3] = { virtq_desc_addr(&q), virtq_driver_addr(&q), virtq_device_addr(&q) };
	for (int i = 0; i < 3; i++) {
		vmmio_write(s.t, VMMIO_QUEUE_DESC_LOW + 0x10 * (uint32_t)i, (uint32_t)a[i]);
		vmmio_write(s.t, VMMIO_QUEUE_DESC_LOW + 0x10 * (uint32_t)i + 4, (uint32_t)(a[i] >> 32));
	}
	vs_driver_ok(&s);
	for (int i = 0; i < 32; i++)
		buf[0][i] = 0x5a;
	uint16_t id;
	struct vbuf b = entropy_buf(0);
	virtq_add(&q, &b, 1, VIRTQ_CHAIN_DIRECT, &id);
	vmmio_notify(s.t, &q);
	enum virtq_result r = vmmio_wait_used(s.t, &q, 20000, &u);
	int touched = 0;
	for (int i = 0; i < 32; i++)
		touched += buf[0][i] != 0x5a;
	bool untouched = probe_check(r == VIRTQ_EMPTY && touched == 0, "%s: queue 0 with QueueReady 0: used ring "
				     "answered '%s' (used idx %u), %d buffer bytes written", vdev_name(d),
				     virtq_result_name(r), u.used_idx, touched);
	vs_close(&s);
	if (untouched && vs_open(&s, d, 0, 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK)) {
		/* The same buffer on a queue set up the regular way (ready before DRIVER_OK) is taken: it was a
		 * valid one. Making the queue ready only now, after DRIVER_OK, is no sequence the spec gives the
		 * driver (vhost-user devices in QEMU 7.2 never see such a queue). */
		vs_call(&s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "the same buffer on a queue made ready before DRIVER_OK");
		vs_close(&s);
	}
}

/* Opens the entropy device with VIRTIO_F_RING_RESET, or says why the case cannot run. */
static struct vdev *ring_reset_session(struct vsession *s)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_ENTROPY, "entropy device", VIRTIO_F_RING_RESET, "VIRTIO_F_RING_RESET");
	if (!d)
		return NULL;
	return vs_open(s, d, VIRTIO_BIT(VIRTIO_F_RING_RESET), 1, VIRTQ_SPLIT, 8, VS_DRIVER_OK) ? d : NULL;
}

PROBE_CASE(mmio_queue_reset, "virtio.mmio.queue_reset_register", AVPS_CHECKS("with VIRTIO_F_RING_RESET, QueueReset reads 0 after device reset and after enabling; writing 1 resets the queue, ending with QueueReset and QueueReady both 0"),
	   MMIO_LAYOUT(8), MMIO_LAYOUT(9), MMIO_LAYOUT(10), MMIO_LAYOUT(12))
static void mmio_queue_reset(void)
{
	struct vdev *d = vs_device_offering(VIRTIO_ID_ENTROPY, "entropy device", VIRTIO_F_RING_RESET, "VIRTIO_F_RING_RESET");
	struct vsession s;
	if (!d)
		return;
	/* After device reset, with the feature negotiated but before any queue is enabled. */
	if (!vs_open(&s, d, VIRTIO_BIT(VIRTIO_F_RING_RESET), 0, VIRTQ_SPLIT, 8, VS_FEATURES_OK))
		return;
	vmmio_write(s.t, VMMIO_QUEUE_SEL, 0);
	uint32_t v = vmmio_read(s.t, VMMIO_QUEUE_RESET);
	probe_check(v == 0, "%s: QueueReset of queue 0 reads %u after device reset", vdev_name(d), v);
	vs_close(&s);
	if (!ring_reset_session(&s))
		return;
	vmmio_write(s.t, VMMIO_QUEUE_SEL, 0);
	v = vmmio_read(s.t, VMMIO_QUEUE_RESET);
	probe_check(v == 0, "%s: QueueReset of queue 0 reads %u after QueueReady enabled it", vdev_name(d), v);
	uint32_t reset_reg = 0, ready = 0;
	bool done = vmmio_queue_reset(s.t, 0, 100000, &reset_reg, &ready);
	probe_check(done, "%s: after writing 1 to QueueReset: QueueReset %u, QueueReady %u (expected both 0 once "
		    "the queue reset completed, within 100 ms)", vdev_name(d), reset_reg, ready);
	vs_close(&s);
}

PROBE_CASE(vq_reset, "virtio.vq.reset_stops_and_restarts", AVPS_CHECKS("a queue reset with a buffer pending uses nothing more; re-enabled with a new size and a fresh ring, the queue works from index 0"),
	   VQ_RESET(1), VQ_RESET(2), VQ_REENABLE(1))
static void vq_reset(void)
{
	struct vsession s;
	struct virtq_used u;
	struct vdev *d = ring_reset_session(&s);
	const char *why = "";
	if (!d)
		return;
	struct vbuf b = entropy_buf(0);
	if (!vs_call(&s, 0, &b, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request before the queue reset"))
		return;
	vmmio_ack(s.t, VIRTIO_ISR_USED);
	/* A buffer made available but not notified, then the queue reset. */
	uint16_t id;
	virtq_add(&s.q[0], &b, 1, VIRTQ_CHAIN_DIRECT, &id);
	uint32_t reset_reg = 0, ready = 0;
	bool done = vmmio_queue_reset(s.t, 0, 100000, &reset_reg, &ready);
	if (!probe_check(done, "%s: queue reset did not complete (QueueReset %u, QueueReady %u): the queue still "
			 "runs with its old state", vdev_name(d), reset_reg, ready)) {
		vs_close(&s);
		return;
	}
	vmmio_notify(s.t, &s.q[0]);
	enum virtq_result r = vmmio_wait_used(s.t, &s.q[0], 20000, &u);
	uint32_t isr = vmmio_read(s.t, VMMIO_INTERRUPT_STATUS);
	probe_check(r == VIRTQ_EMPTY && !(isr & VIRTIO_ISR_USED), "%s: after the queue reset the old ring got "
		    "'%s' (used idx %u), InterruptStatus 0x%x", vdev_name(d), virtq_result_name(r), u.used_idx, isr);
	/* Re-enable with another size and a fresh ring: indexes start from 0 again. */
	virtq_init(&s.q[0], s.q[0].mem, VIRTQ_SPLIT, 4, 0, false);
	if (!probe_check(vmmio_queue_enable(s.t, &s.q[0], &why), "%s: re-enabling queue 0 (size 4): %s",
			 vdev_name(d), why))
		return;
	struct vbuf b2 = entropy_buf(1);
	if (vs_call(&s, 0, &b2, 1, VIRTQ_CHAIN_DIRECT, &u, "entropy request after re-enable"))
		probe_check(virtq_used_idx(&s.q[0]) == 1, "%s: used idx %u on the fresh ring, expected 1",
			    vdev_name(d), virtq_used_idx(&s.q[0]));
	vs_close(&s);
}
