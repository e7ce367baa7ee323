/* Linux boot protocol: the initramfs the host passed is the one the kernel unpacked, whatever route handed it over. */
#define AVPS_SUITE "boot.initrd"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "kernel_log.h"

#include <stdlib.h>

#define PAGE_BYTES 4096ull

/*
 * init/initramfs.c frees the initrd after unpacking it and logs "Freeing initrd memory: <N>K":
 * the pages wholly inside the range it was handed (DT /chosen, or the EFI initrd table), so
 * N KiB is the size rounded to pages, at most a page short at either end.
 */
AVPS_TEST(size_matches_host,
	  AVPS_CHECKS("the initrd the kernel freed after unpacking has the size the host declared, to a page"),
	  "AVPS.BOOT.1")
{
	unsigned long long declared;
	if (!avps_param_u64("initrd_bytes", &declared))
		SKIP(return, "the host did not declare the initramfs size (avps.initrd_bytes)");
	char *log = kernel_log();
	ASSERT_NE(NULL, log) TH_LOG("cannot read the kernel log");
	char line[256];
	bool found = kernel_log_line(log, "Freeing initrd memory:", line, sizeof(line));
	free(log);
	ASSERT_TRUE(found) TH_LOG("expected the kernel to log \"Freeing initrd memory: <N>K\" after unpacking "
				  "the initrd, seen no such line (no initrd handed over?)");
	unsigned long long kib = strtoull(strstr(line, "memory:") + strlen("memory:"), NULL, 10);
	unsigned long long freed = kib * 1024;
	EXPECT_TRUE(freed <= declared + PAGE_BYTES && freed + 2 * PAGE_BYTES >= declared)
		TH_LOG("expected about %llu bytes (avps.initrd_bytes, to a page), the kernel freed an initrd of "
		       "%llu bytes (\"%s\")", declared, freed, line);
}

TEST_HARNESS_MAIN
