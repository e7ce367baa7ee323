/* What the host declares about this boot (avps.mem_mib, avps.initrd_bytes, avps.expect_uefi) and the firmware the guest sees. */
#ifndef AVPS_BOOT_HOST_EXPECTATIONS_H
#define AVPS_BOOT_HOST_EXPECTATIONS_H

#include "kernel_cmdline.h"

#include <stdbool.h>
#include <sys/stat.h>

#define EFI_SYSFS "/sys/firmware/efi"

/* The host says this boot went through UEFI firmware (avps.expect_uefi=1). */
static inline bool host_expects_uefi(void)
{
	unsigned long long v = 0;
	return avps_param_u64("expect_uefi", &v) && v == 1;
}

/* The kernel found an EFI system table (it was started by UEFI firmware). */
static inline bool booted_through_uefi(void)
{
	struct stat st;
	return stat(EFI_SYSFS, &st) == 0 && S_ISDIR(st.st_mode);
}

#endif
