/* Arm SBSA Generic Watchdog rules: explicit refresh, timeout refresh with WS0, then WS1; evaluated lazily at a given count. */
#include "gwdt.h"

void gwdt_reset(struct gwdt *w)
{
	struct gwdt_faults faults = w->faults;
	*w = (struct gwdt){ .faults = faults };
}

/* Explicit refresh (a write to WRR, WOR or WCS): WCV = count + WOR, WS0 and WS1 deasserted. */
static void explicit_refresh(struct gwdt *w, uint64_t now)
{
	w->wcv = now + w->wor;
	w->wcs &= ~(GWDT_WCS_WS0 | GWDT_WCS_WS1);
}

unsigned gwdt_advance(struct gwdt *w, uint64_t now)
{
	unsigned events = 0;
	/* Each pass is one timeout: the count passed WCV while enabled. The count at that moment was WCV, so the
	 * timeout refresh (WCV = count + WOR) is computed from it, whenever this evaluation happens. */
	while ((w->wcs & GWDT_WCS_EN) && !(w->wcs & GWDT_WCS_WS1) && now > w->wcv) {
		if (!(w->wcs & GWDT_WCS_WS0)) {
			w->wcs |= GWDT_WCS_WS0;
			w->wcv += w->wor;
			events |= GWDT_EVENT_WS0;
			if (w->faults.resets_at_ws0) {
				w->wcs |= GWDT_WCS_WS1;
				events |= GWDT_EVENT_WS1;
			}
		} else {
			w->wcs |= GWDT_WCS_WS1;
			if (!w->faults.ws1_reset_lost)
				events |= GWDT_EVENT_WS1;
		}
	}
	return events;
}

uint64_t gwdt_next_due(const struct gwdt *w)
{
	if (!(w->wcs & GWDT_WCS_EN) || (w->wcs & GWDT_WCS_WS1) || w->wcv == UINT64_MAX)
		return UINT64_MAX;
	return w->wcv + 1;
}

/* The 32-bit half (offset bit 2) or the whole of a 64-bit register. */
static uint64_t part(uint64_t reg, uint64_t offset, unsigned size)
{
	if (size == 8)
		return reg;
	return (offset & 4) ? reg >> 32 : (uint32_t)reg;
}

static uint64_t merged(uint64_t reg, uint64_t offset, unsigned size, uint64_t value)
{
	if (size == 8)
		return value;
	if (offset & 4)
		return (reg & 0xffffffffULL) | (uint64_t)(uint32_t)value << 32;
	return (reg & ~0xffffffffULL) | (uint32_t)value;
}

uint64_t gwdt_read(struct gwdt *w, enum gwdt_frame frame, uint64_t offset, unsigned size, uint64_t now,
		   unsigned *events)
{
	*events |= gwdt_advance(w, now);
	if ((size != 4 && size != 8) || (offset & (size - 1)))
		return 0;
	if (offset == GWDT_W_IIDR)
		return GWDT_W_IIDR_VALUE;
	if (frame == GWDT_REFRESH_FRAME)
		return 0;                               /* WRR reads as zero */
	if (offset == GWDT_WCS && size == 4)
		return w->wcs;
	if ((offset & ~7ULL) == GWDT_WOR)
		return part(w->wor, offset, size);
	if ((offset & ~7ULL) == GWDT_WCV)
		return part(w->wcv, offset, size);
	return 0;
}

void gwdt_write(struct gwdt *w, enum gwdt_frame frame, uint64_t offset, unsigned size, uint64_t value, uint64_t now,
		unsigned *events)
{
	*events |= gwdt_advance(w, now);
	if ((size != 4 && size != 8) || (offset & (size - 1)))
		return;
	if (frame == GWDT_REFRESH_FRAME) {
		if (offset == GWDT_WRR && !w->faults.refresh_ignored)
			explicit_refresh(w, now);
		return;
	}
	if (offset == GWDT_WCS && size == 4) {
		w->wcs = (w->wcs & ~GWDT_WCS_EN) | ((uint32_t)value & GWDT_WCS_EN);
		explicit_refresh(w, now);
	} else if ((offset & ~7ULL) == GWDT_WOR) {
		w->wor = merged(w->wor, offset, size, value) & GWDT_WOR_MASK;
		explicit_refresh(w, now);
	} else if ((offset & ~7ULL) == GWDT_WCV) {
		w->wcv = merged(w->wcv, offset, size, value);   /* sets the compare value; no refresh */
	}
	*events |= gwdt_advance(w, now);                       /* a WCV in the past times out at once */
}
