/* Probe main loop: finds console and conduit, runs every declared case as a KTAP subtest, ends with SYSTEM_OFF. */
#include <stdarg.h>

#include <libfdt.h>

#include "cpu.h"
#include "case_filter.h"
#include "case_outcome.h"
#include "ktap.h"
#include "probe.h"
#include "text_format.h"

#define LINE_MAX_CHARS 116   /* Xen splits console lines longer than 120 */

extern const struct probe_case __probe_cases_start[], __probe_cases_end[];
extern const char _start[];

static struct ktap_writer ktap;
static uint64_t boot_mpidr;
static uint64_t entry_ticks;
static int case_count, current_case = -1;
static volatile int in_exception, powering_off;
/* Result of the case being run. */
static struct case_outcome outcome;
/* The slowest cases run so far (index, guest-counter ticks), slowest first: reported at the end. */
#define SLOWEST_REPORTED 3
static struct { int index; uint64_t ticks; } slowest[SLOWEST_REPORTED] = { { -1, 0 }, { -1, 0 }, { -1, 0 } };

static void console_sink(void *ctx, const char *text)
{
	(void)ctx;
	console_puts(text);
}

void probe_diag(const char *fmt, ...)
{
	char line[LINE_MAX_CHARS];
	va_list ap;
	va_start(ap, fmt);
	text_vformat(line, sizeof(line), fmt, ap);
	va_end(ap);
	ktap_diag(&ktap, "%s", line);
}

static const char *current_id(void)
{
	return current_case >= 0 ? __probe_cases_start[current_case].id : "runtime";
}

bool probe_check(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = case_outcome_vcheck(&outcome, &ktap, NULL, cond, fmt, ap);
	va_end(ap);
	return ok;
}

void probe_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	case_outcome_vset(&outcome, KTAP_SKIP, fmt, ap);
	va_end(ap);
}

void probe_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	case_outcome_vset(&outcome, KTAP_ERROR, fmt, ap);
	va_end(ap);
}

void probe_host_check(const char *event)
{
	case_outcome_host_check(&outcome, &ktap, current_id(), event);
	console_flush();
}

static void power_off(void) __attribute__((noreturn));
static void power_off(void)
{
	uint64_t now = timer_count();
	powering_off = 1;
	for (int i = 0; i < SLOWEST_REPORTED && slowest[i].index >= 0; i++)
		ktap_diag(&ktap, "probe: case time %llu ms %s", (unsigned long long)(timer_us(slowest[i].ticks) / 1000),
			  __probe_cases_start[slowest[i].index].id);
	ktap_diag(&ktap, "probe: boot-to-verdict %llu ms (counter %llu ms)",
		  (unsigned long long)(timer_us(now - entry_ticks) / 1000),
		  (unsigned long long)(timer_us(now) / 1000));
	if (&probe_system_off_case != NULL && probe_system_off_case)
		ktap_diag(&ktap, "host-check: %s expect=guest-shutdown", probe_system_off_case);
	console_flush();
	int64_t ret = smccc_call(PSCI_FN_SYSTEM_OFF, 0, 0, 0);
	ktap_diag(&ktap, "probe: SYSTEM_OFF returned %lld (%s), halting",
		  (long long)ret, psci_error_name(ret));
	console_flush();
	for (;;)
		wfi();
}

/* Ends the document after the current case broke: the rest are not run. */
static void finish_after_error(void) __attribute__((noreturn));
static void finish_after_error(void)
{
	for (int i = current_case + 1; i < case_count; i++)
		ktap_result(&ktap, KTAP_ERROR, __probe_cases_start[i].id, "not run after an error");
	ktap_subtest_end(&ktap);
	ktap_result(&ktap, KTAP_FAIL, probe_name, NULL);
	power_off();
}

/* The leaf layer's fatal stop, installed at entry: reports the current case, then powers off. */
static void runtime_fatal(const char *why) __attribute__((noreturn));
static void runtime_fatal(const char *why)
{
	if (current_case >= 0 && current_case < case_count)
		ktap_result(&ktap, KTAP_ERROR, current_id(), "%s", why);
	else
		ktap_diag(&ktap, "probe: %s", why);
	finish_after_error();
}

static const char *const exception_kind[] = {
	"sync EL1t", "irq EL1t", "fiq EL1t", "serror EL1t",
	"sync EL1h", "irq EL1h", "fiq EL1h", "serror EL1h",
	"sync EL0", "irq EL0", "fiq EL0", "serror EL0",
	"sync EL0/32", "irq EL0/32", "fiq EL0/32", "serror EL0/32",
};

void exception_report(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr, uint64_t spsr)
	__attribute__((noreturn));
void exception_report(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr, uint64_t spsr)
{
	uint64_t self = cpu_mpidr();

	if (self != boot_mpidr) {
		/* A secondary: leave the evidence for the boot CPU, which times out on it. */
		for (int i = 0; i < PROBE_MAX_CPUS; i++) {
			if (secondary_slots[i].mpidr == self || i == PROBE_MAX_CPUS - 1) {
				secondary_slots[i].elr = elr;
				secondary_slots[i].esr = esr | (1ULL << 63);
				break;
			}
		}
		dsb_sy();
		for (;;)
			wfi();
	}
	if (in_exception++ || powering_off) {
		/* While reporting one, or in SYSTEM_OFF itself (a conduit that traps):
		 * nothing safe is left to do but say so and stop. */
		console_puts("# probe: exception during shutdown, halting\n");
		console_flush();
		for (;;)
			wfi();
	}
	ktap_diag(&ktap, "%s: unexpected exception (%s) ESR=0x%llx FAR=0x%llx",
		  current_id(), exception_kind[kind & 15], (unsigned long long)esr,
		  (unsigned long long)far);
	ktap_diag(&ktap, "%s: ELR=0x%llx (image offset 0x%llx) SPSR=0x%llx", current_id(),
		  (unsigned long long)elr, (unsigned long long)(elr - (uint64_t)(uintptr_t)_start), (unsigned long long)spsr);
	probe_fatal("unexpected exception (ESR/FAR/ELR above)");
}

/* Keeps the case among the slowest SLOWEST_REPORTED (where a run's guest time goes, for make bench). */
static void note_case_time(int index, uint64_t ticks)
{
	int at = SLOWEST_REPORTED;
	while (at > 0 && (slowest[at - 1].index < 0 || slowest[at - 1].ticks < ticks))
		at--;
	if (at == SLOWEST_REPORTED)
		return;
	for (int i = SLOWEST_REPORTED - 1; i > at; i--)
		slowest[i] = slowest[i - 1];
	slowest[at].index = index;
	slowest[at].ticks = ticks;
}

static void run_case(int index, bool runs)
{
	const struct probe_case *c = &__probe_cases_start[index];

	current_case = index;
	if (!runs) {
		ktap_result(&ktap, KTAP_SKIP, c->id, CASE_FILTER_SKIP_REASON);
		return;
	}
	case_outcome_start(&outcome);
	uint64_t start = timer_count();
	c->run();
	note_case_time(index, timer_count() - start);
	case_outcome_report(&outcome, &ktap, c->id);
}

void probe_runtime_main(const void *fdt, uint64_t entry_count, uint64_t entry_el)
	__attribute__((noreturn));
void probe_runtime_main(const void *fdt, uint64_t entry_count, uint64_t entry_el)
{
	uint64_t uart = 0;

	entry_ticks = entry_count;
	probe_entry_el = (entry_el >> 2) & 3;
	boot_mpidr = cpu_mpidr();
	ktap_init(&ktap, console_sink, NULL);
	probe_set_fatal_handler(runtime_fatal);
	if (dt_init(fdt) != 0) {
		/* No DT, so no console to say so: power off if the conduit guess works. */
		smccc_conduit = SMCCC_CONDUIT_HVC;
		power_off();
	}
	/* /chosen/stdout-path first; without one, the first PL011 / SBSA UART. */
	int uart_node = dt_stdout_node();
	if (uart_node < 0)
		uart_node = dt_next_compatible(-1, "arm,pl011");
	if (uart_node < 0)
		uart_node = dt_next_compatible(-1, "arm,sbsa-uart");
	if (uart_node >= 0 && (fdt_node_check_compatible(dt_blob(), uart_node, "arm,pl011") == 0 ||
			       fdt_node_check_compatible(dt_blob(), uart_node, "arm,sbsa-uart") == 0))
		dt_reg(uart_node, 0, &uart, NULL);
	console_init((uintptr_t)uart);
	smccc_init_from_dt();
	int chosen = fdt_path_offset(dt_blob(), "/chosen"), args_len = 0;
	const char *args = chosen >= 0 ? fdt_getprop(dt_blob(), chosen, "bootargs", &args_len) : NULL;
	bool filtered = case_filter_init(args, args ? (size_t)args_len : 0);

	case_count = (int)(__probe_cases_end - __probe_cases_start);
	ktap_header(&ktap);
	ktap_plan(&ktap, 1);
	ktap_subtest_begin(&ktap);
	ktap_header(&ktap);
	ktap_plan(&ktap, case_count);
	ktap_diag(&ktap, "probe %s: EL%llu entry, SMCCC conduit %s, boot MPIDR 0x%llx",
		  probe_name, (unsigned long long)((entry_el >> 2) & 3),
		  smccc_conduit_name(), (unsigned long long)boot_mpidr);
	ktap_diag(&ktap, "probe %s: image at %p, DTB at %p, console at 0x%llx", probe_name,
		  (const void *)_start, fdt, (unsigned long long)uart);
	/* A case may build on what the cases before it set up (a started secondary, a device past its
	 * handshake): every case up to the last selected one runs, whatever the filter says, except the
	 * stand-alone ones (PROBE_CASE_STANDALONE), which run only when selected, and the excluded ones
	 * ('-<id>': the run skips them), which never run. */
	int last_selected = -1;
	for (int i = 0; i < case_count; i++)
		if (case_filter_selects(__probe_cases_start[i].id))
			last_selected = i;
	if (last_selected != case_count - 1)
		ktap_diag(&ktap, "probe %s: avps.cases: runs cases 1-%d (the last selected and all before it but the "
			  "stand-alone ones not selected), not the %d after", probe_name, last_selected + 1,
			  case_count - 1 - last_selected);
	for (int i = 0; i < case_count; i++) {
		const struct probe_case *c = &__probe_cases_start[i];
		run_case(i, i <= last_selected && !case_filter_excludes(c->id) &&
			 (!filtered || !c->stands_alone || case_filter_selects(c->id)));
	}
	current_case = case_count;
	int failed = ktap_subtest_end(&ktap);
	ktap_result(&ktap, failed ? KTAP_FAIL : KTAP_PASS, probe_name, NULL);
	power_off();
}
