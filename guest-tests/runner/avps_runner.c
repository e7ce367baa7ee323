/* Guest-side runner: runs every installed test program with a timeout and prints one KTAP document. */
#include "child_process.h"
#include "kernel_cmdline.h"
#include "ktap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#define MAX_TESTS 128
#define KSFT_SKIP_EXIT 4

struct test_entry {
	char collection[64];
	char name[64];
};

static void put_stdout(void *ctx, const char *text)
{
	(void)ctx;
	fputs(text, stdout);
	fflush(stdout);
}

static void relay_child_line(void *ctx, const char *line)
{
	struct ktap_writer *w = ctx;
	ktap_raw_line(w, line);
}

/* kselftest-list.txt holds "collection:test" lines, in run order. */
static int read_test_list(const char *dir, struct test_entry *tests, int max)
{
	char path[512], line[160];
	snprintf(path, sizeof(path), "%s/kselftest-list.txt", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int n = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *colon = strchr(line, ':');
		if (!colon || line[0] == '#')
			continue;
		*colon = '\0';
		snprintf(tests[n].collection, sizeof(tests[n].collection), "%s", line);
		snprintf(tests[n].name, sizeof(tests[n].name), "%s", colon + 1);
		n++;
	}
	fclose(f);
	return n;
}

/* Only runs tests whose "collection.name" starts with one of the filter's comma-separated
 * prefixes (avps.only=virtio.blk or avps.only=virtio.blk,psci.firmware); empty: every test. */
static bool selected(const struct test_entry *t, const char *filter)
{
	char full[160];
	snprintf(full, sizeof(full), "%s.%s", t->collection, t->name);
	if (!filter[0])
		return true;
	for (const char *entry = filter; *entry;) {
		size_t len = strcspn(entry, ",");
		if (len > 0 && strncmp(full, entry, len) == 0)
			return true;
		entry += len + (entry[len] == ',');
	}
	return false;
}

static void report_outcome(struct ktap_writer *w, const char *name, const struct child_outcome *o,
			   int timeout_s)
{
	if (o->spawn_failed)
		ktap_result(w, KTAP_ERROR, name, "cannot start: %s", strerror(o->spawn_errno));
	else if (o->timed_out)
		ktap_result(w, KTAP_TIMEOUT, name, "no exit after %d s, killed", timeout_s);
	else if (o->signal)
		ktap_result(w, KTAP_ERROR, name, "killed by signal %d (%s)", o->signal,
			    strsignal(o->signal));
	else if (o->exit_code == 0)
		ktap_result(w, KTAP_PASS, name, NULL);
	else if (o->exit_code == KSFT_SKIP_EXIT)
		ktap_result(w, KTAP_SKIP, name, "all cases skipped");
	else if (o->exit_code == 127)
		ktap_result(w, KTAP_ERROR, name, "exec failed (exit 127)");
	else
		ktap_result(w, KTAP_FAIL, name, "exit code %d", o->exit_code);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/opt/avps-cts";
	struct test_entry tests[MAX_TESTS];
	struct ktap_writer w;
	unsigned long long timeout = 120;
	char filter[1024] = "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	avps_param_u64("timeout", &timeout);
	avps_param("only", filter, sizeof(filter));
	ktap_init(&w, put_stdout, NULL);

	int total = read_test_list(dir, tests, MAX_TESTS), planned = 0;
	ktap_header(&w);
	if (total < 0) {
		ktap_plan(&w, 1);
		ktap_result(&w, KTAP_ERROR, "avps.runner", "no %s/kselftest-list.txt", dir);
		total = 0;
	} else {
		for (int i = 0; i < total; i++)
			planned += selected(&tests[i], filter);
		ktap_plan(&w, planned);
	}
	ktap_diag(&w, "avps-runner: %d test programs, timeout %llu s each", planned, timeout);

	for (int i = 0; i < total; i++) {
		if (!selected(&tests[i], filter))
			continue;
		char path[512], cwd[320], name[160];
		snprintf(cwd, sizeof(cwd), "%s/%s", dir, tests[i].collection);
		snprintf(path, sizeof(path), "%s/%s", cwd, tests[i].name);
		snprintf(name, sizeof(name), "%s.%s", tests[i].collection, tests[i].name);
		ktap_diag(&w, "avps-runner: start %s", name);
		ktap_subtest_begin(&w); /* the child prints its own header and plan */
		struct child_outcome o = run_child(path, cwd, (int)timeout, relay_child_line, &w);
		ktap_subtest_end(&w);
		int tenths = (int)(o.seconds * 10 + 0.5);
		ktap_diag(&w, "avps-runner: %s took %d.%d s", name, tenths / 10, tenths % 10);
		report_outcome(&w, name, &o, (int)timeout);
	}
	ktap_diag(&w, "avps-runner: done");
	fflush(stdout);
	sync();
	if (getpid() == 1 || (argc > 2 && strcmp(argv[2], "--poweroff") == 0))
		reboot(RB_POWER_OFF);
	return 0;
}
