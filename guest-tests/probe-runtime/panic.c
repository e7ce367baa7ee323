/* Fatal stop of the leaf layer: hands the reason to the installed handler, or prints it and halts. */
#include "base.h"
#include "cpu.h"

static probe_fatal_handler fatal_handler;
static volatile int in_fatal;

void probe_set_fatal_handler(probe_fatal_handler handler)
{
	fatal_handler = handler;
}

void probe_fatal(const char *why)
{
	/* A second fatal stop while handling the first (e.g. the handler itself
	 * faults) must not recurse: say so and halt. */
	if (!in_fatal++ && fatal_handler)
		fatal_handler(why);
	console_puts("# probe: fatal: ");
	console_puts(why);
	console_puts(", halting\n");
	console_flush();
	for (;;)
		wfi();
}
