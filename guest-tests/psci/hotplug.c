/* CPU hotplug through sysfs (PSCI CPU_OFF/CPU_ON underneath): every secondary goes off and on, and runs work after. */
#define AVPS_SUITE "psci.hotplug"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "virtio_sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOOPS 3 /* off/on cycles per CPU: a flaky bring-up shows within a few */

static bool write_online(int cpu, int value, char *err, size_t err_size)
{
	char path[96], text[2] = { (char)('0' + value), '\0' };
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		snprintf(err, err_size, "open %s: %s", path, strerror(errno));
		return false;
	}
	bool ok = write(fd, text, 1) == 1;
	if (!ok)
		snprintf(err, err_size, "write %d to %s: %s", value, path, strerror(errno));
	close(fd);
	return ok;
}

static int read_online(int cpu)
{
	char path[96], text[8];
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return read_text_file(path, text, sizeof(text)) ? text[0] - '0' : -1;
}

/* Pins this thread to cpu, spins a little, and reports where it actually ran. */
static int run_work_on(int cpu, unsigned long *work_done)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -1;
	volatile unsigned long sum = 0;
	for (unsigned long i = 0; i < 2000000; i++)
		sum += i;
	*work_done = sum;
	unsigned int where = 0;
	if (syscall(SYS_getcpu, &where, NULL, NULL) != 0)
		return -1;
	return (int)where;
}

static int possible_cpus(void)
{
	char text[32];
	int first = 0, last = 0;
	if (!read_text_file("/sys/devices/system/cpu/present", text, sizeof(text)))
		return 1;
	if (sscanf(text, "%d-%d", &first, &last) == 2)
		return last + 1;
	return 1;
}

AVPS_TEST(off_on_every_secondary,
	  AVPS_CHECKS("each secondary CPU goes offline and online 3 times through sysfs (PSCI CPU_OFF/CPU_ON) and "
	              "then runs pinned work"),
	  "AVPS.POWER.1")
{
	int cpus = possible_cpus();
	unsigned long long configured = 0;
	if (avps_param_u64("cpus", &configured))
		ASSERT_EQ((int)configured, cpus)
			TH_LOG("host gave %llu vCPUs, the guest can bring up %d", configured, cpus);
	if (cpus < 2)
		SKIP(return, "one CPU only: no secondary to take off and on");
	char err[160];
	for (int cpu = 1; cpu < cpus; cpu++) {
		for (int loop = 0; loop < LOOPS; loop++) {
			ASSERT_TRUE(write_online(cpu, 0, err, sizeof(err))) TH_LOG("%s", err);
			ASSERT_EQ(0, read_online(cpu)) TH_LOG("cpu%d still online after offlining (loop %d)", cpu, loop);
			ASSERT_TRUE(write_online(cpu, 1, err, sizeof(err))) TH_LOG("%s", err);
			ASSERT_EQ(1, read_online(cpu)) TH_LOG("cpu%d not online after onlining (loop %d)", cpu, loop);
			unsigned long work = 0;
			int where = run_work_on(cpu, &work);
			ASSERT_EQ(cpu, where) TH_LOG("work pinned to cpu%d ran on cpu%d after CPU_ON (loop %d)",
						     cpu, where, loop);
			ASSERT_NE(0UL, work);
		}
	}
}

TEST_HARNESS_MAIN
