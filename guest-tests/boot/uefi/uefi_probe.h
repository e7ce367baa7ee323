/* The UEFI probe's case interface: declaring a case, KTAP checks on ConOut, configuration-table lookup. */
#ifndef AVPS_UEFI_PROBE_H
#define AVPS_UEFI_PROBE_H

#include <efi.h>
#include <efilib.h>
#include <stdbool.h>

#include "avps_case.h"

struct uefi_case {
	const char *id;
	void (*run)(void);
};

/*
 * UEFI_CASE(fn, "boot.uefi.name", "REQ-ID", ...) { body }: the stable ID is also the KTAP
 * name, and the same line writes the ELF manifest record (.avps_manifest in avps-uefi.elf).
 * uefi_probe.c lists the cases in the order they run.
 */
#define UEFI_CASE(fn, case_id, ...)                                                 \
	static void fn(void);                                                      \
	AVPS_CASE_RECORD(fn##_manifest, case_id, case_id, __VA_ARGS__)             \
	const struct uefi_case fn##_case = {case_id, fn};                          \
	static void fn(void)

/* A named check: on failure prints "# <case>: <detail>" and the case is not ok. Returns cond. */
bool uefi_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Condition absent (say which): the case is reported "ok ... # SKIP reason". */
void uefi_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "# ..." diagnostic line. */
void uefi_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The current case is judged by the host: "# host-check: <case> expect=<event>". */
void uefi_host_check(const char *event);

/* The configuration table entry with this GUID, or NULL. */
void *uefi_config_table(const EFI_GUID *guid);
/* ASCII copy of a UCS-2 string (non-ASCII as '?'), for diagnostics. */
const char *uefi_ascii(const CHAR16 *text, char *out, unsigned size);
/* The first error ConOut->OutputString returned while printing, EFI_SUCCESS if none. */
EFI_STATUS uefi_console_status(void);
/*
 * avps.<key>=<number> from this image's LoadOptions (UCS-2, space separated): what the host
 * declares, as on the Linux command line. U-Boot passes its bootargs there; EDK2's removable
 * media path passes none. False when absent or malformed.
 */
bool uefi_host_param(const char *key, unsigned long long *value);
/* Our image handle (efi_main's), for LoadedImage lookups. */
extern EFI_HANDLE uefi_image_handle;

#endif
