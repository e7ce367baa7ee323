/* The firmware fault shim's interface: the faults it can install into the running firmware, by name. */
#ifndef AVPS_FAULT_SHIM_H
#define AVPS_FAULT_SHIM_H

#include <efi.h>
#include <stdbool.h>

struct firmware_fault {
	const char *name;
	/* What the firmware then gets wrong, one line (printed when installed). */
	const char *breaks;
	/* Patches the firmware's tables; an error leaves the firmware unchanged. */
	EFI_STATUS (*install)(void);
};

/* The faults fault_services.c implements, ended by a NULL name. */
extern const struct firmware_fault firmware_faults[];

#endif
