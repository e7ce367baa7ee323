/* Console emergency-write statement case (VIRTIO 1.2 §5.3.5): a line written through emerg_wr on a device that is not set up reaches the host, which answers it. */
#include "cpu.h"
#include "host_link.h"
#include "probe.h"
#include "session.h"
#include "statements.h"
#include "text_format.h"

#define CONSOLE_F_EMERG_WRITE 2
#define CONSOLE_EMERG_WR 8   /* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr */

PROBE_CASE(console_emerg_write, "virtio.console.emerg_write_unconfigured", AVPS_CHECKS("with VIRTIO_CONSOLE_F_EMERG_WRITE offered, an AVPS-ECHO line written byte by byte to emerg_wr right after a reset (Status 0) reaches the host intact: its echo reply names the nonce and the line length"),
	   DT "Console Device / Device Initialization #1")
static void console_emerg_write(void)
{
	struct vdev *d = vs_device(VIRTIO_ID_CONSOLE, "console device");
	char line[40], prefix[48], reply[120];
	uint32_t status = 0;
	if (!d)
		return;
	if (!(d->t.offered & VIRTIO_BIT(CONSOLE_F_EMERG_WRITE))) {
		probe_skip("%s does not offer VIRTIO_CONSOLE_F_EMERG_WRITE", vdev_name(d));
		return;
	}
	uint32_t nonce = (uint32_t)timer_count() ^ 0xe3e7u;
	int n = text_format(line, sizeof(line), "AVPS-ECHO %x", nonce);
	text_format(prefix, sizeof(prefix), "AVPS-ECHO-REPLY %x ", nonce);
	d->ready = false;
	vmmio_reset(&d->t, 100000, &status);   /* unconfigured: no feature, queue or status bit set */
	for (int i = 0; i <= n; i++)
		vmmio_write(&d->t, VMMIO_CONFIG + CONSOLE_EMERG_WR, i < n ? (uint8_t)line[i] : '\n');
	status = vmmio_status(&d->t);
	if (!probe_check(status == 0, "%s: Status 0x%x after emergency writes to a reset device", vdev_name(d), status))
		return;
	/* The host's answer comes back on port 0 once the host link sets the device up again. */
	bool answered = host_link_await(prefix, reply, sizeof(reply), 3000);
	char want[48];
	text_format(want, sizeof(want), "%s%d", prefix, n);
	probe_check(answered && __builtin_strcmp(reply, want) == 0,
		    "%s: '%s' written through emerg_wr at Status 0; the host answered: %s (expected '%s')", vdev_name(d),
		    line, reply, want);
}
