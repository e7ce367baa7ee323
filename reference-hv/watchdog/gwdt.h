/* Arm SBSA Generic Watchdog (SBSA, generic watchdog section): register state and rules, no EL2 code. */
#ifndef REFHV_GWDT_H
#define REFHV_GWDT_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets within the two 4 KiB frames (as Linux's drivers/watchdog/sbsa_gwdt.c names them). */
#define GWDT_WRR 0x000          /* refresh frame: any write is an explicit refresh */
#define GWDT_WCS 0x000          /* control frame: EN (RW), WS0, WS1 (RO) */
#define GWDT_WOR 0x008          /* control frame: offset, 48 bits (architecture version 1) */
#define GWDT_WCV 0x010          /* control frame: compare value, 64 bits */
#define GWDT_W_IIDR 0xfcc       /* both frames */
#define GWDT_WCS_EN (1u << 0)
#define GWDT_WCS_WS0 (1u << 1)
#define GWDT_WCS_WS1 (1u << 2)
#define GWDT_WOR_MASK ((1ULL << 48) - 1)
/* W_IIDR: architecture version 1 (48-bit WOR) in [19:16], implementer Arm (JEP106 0x43b) in [11:0]. */
#define GWDT_W_IIDR_VALUE ((1u << 16) | 0x43bu)

enum gwdt_frame { GWDT_REFRESH_FRAME, GWDT_CONTROL_FRAME };

/* What an access or the passing of time asks the platform to do (a bitmask). */
enum gwdt_event {
	GWDT_EVENT_WS0 = 1,     /* WS0 was just asserted: raise the watchdog's interrupt */
	GWDT_EVENT_WS1 = 2,     /* WS1 was just asserted: reset the system */
};

/* Fault switches of the rules (kept across gwdt_reset). */
struct gwdt_faults {
	bool refresh_ignored;   /* watchdog-refresh-ignored: WRR writes do not refresh */
	bool resets_at_ws0;     /* watchdog-resets-at-ws0: the first timeout already signals the reset */
	bool ws1_reset_lost;    /* watchdog-ws1-reset-lost: WS1 is asserted, its reset never signalled */
};

struct gwdt {
	uint32_t wcs;           /* EN | WS0 | WS1 */
	uint64_t wor;
	uint64_t wcv;
	struct gwdt_faults faults;
};

/* Power-on (and VM reset) state: disabled, WOR 0, WCV 0; the fault switches are kept. */
void gwdt_reset(struct gwdt *w);

/* Time passed up to system count `now`: timeouts that came due (WS0, then WS1). Returns enum gwdt_event bits. */
unsigned gwdt_advance(struct gwdt *w, uint64_t now);

/* The count at which the next timeout comes due (the first count past WCV), or UINT64_MAX: disabled, or WS1 already. */
uint64_t gwdt_next_due(const struct gwdt *w);

/* A 32- or 64-bit read at offset of a frame (other sizes read 0); time is advanced to now first. */
uint64_t gwdt_read(struct gwdt *w, enum gwdt_frame frame, uint64_t offset, unsigned size, uint64_t now,
		   unsigned *events);

/* A 32- or 64-bit write (other sizes are ignored); time is advanced to now first. */
void gwdt_write(struct gwdt *w, enum gwdt_frame frame, uint64_t offset, unsigned size, uint64_t value, uint64_t now,
		unsigned *events);

#endif
