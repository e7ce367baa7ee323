/* avps-uefi probe entry: an EFI application that runs the boot-path cases before any OS and prints KTAP on ConOut. */
#include "uefi_probe.h"
#include "case_outcome.h"
#include "ktap.h"
#include "text_format.h"

#include <stdarg.h>

#define PROBE_NAME "avps-uefi"
#define LINE_CHARS 240

extern const struct uefi_case system_table_case, config_table_dt_or_acpi_case, rt_properties_case,
	console_out_case, memory_map_case, get_time_case, variables_case, reset_system_case;

/* Run order; reset_system ends the run (the host judges it), so it comes last. */
static const struct uefi_case *const cases[] = {
	&system_table_case, &console_out_case, &config_table_dt_or_acpi_case, &rt_properties_case,
	&memory_map_case, &get_time_case, &variables_case, &reset_system_case,
};
#define CASE_COUNT ((int)(sizeof(cases) / sizeof(cases[0])))

EFI_HANDLE uefi_image_handle;
static struct ktap_writer ktap;
static const struct uefi_case *current;
static struct case_outcome outcome;
static EFI_STATUS first_console_error = EFI_SUCCESS;

/* KTAP sink: UCS-2 through ConOut->OutputString, "\n" as "\r\n". */
static void put_conout(void *context, const char *text)
{
	CHAR16 chunk[LINE_CHARS + 2];
	unsigned n = 0;
	(void)context;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			chunk[n++] = L'\r';
		chunk[n++] = (CHAR16)(unsigned char)*p;
		if (n >= LINE_CHARS || !p[1]) {
			chunk[n] = 0;
			EFI_STATUS status = uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, chunk);
			if (EFI_ERROR(status) && first_console_error == EFI_SUCCESS)
				first_console_error = status;
			n = 0;
		}
	}
}

EFI_STATUS uefi_console_status(void)
{
	return first_console_error;
}

bool uefi_check(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = case_outcome_vcheck(&outcome, &ktap, current->id, cond, fmt, ap);
	va_end(ap);
	return ok;
}

void uefi_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	case_outcome_vset(&outcome, KTAP_SKIP, fmt, ap);
	va_end(ap);
}

void uefi_diag(const char *fmt, ...)
{
	char line[LINE_CHARS];
	va_list ap;
	va_start(ap, fmt);
	text_vformat(line, sizeof(line), fmt, ap);
	va_end(ap);
	ktap_diag(&ktap, "%s", line);
}

void uefi_host_check(const char *event)
{
	case_outcome_host_check(&outcome, &ktap, current->id, event);
}

void *uefi_config_table(const EFI_GUID *guid)
{
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
		if (CompareGuid(&ST->ConfigurationTable[i].VendorGuid, (EFI_GUID *)guid) == 0)
			return ST->ConfigurationTable[i].VendorTable;
	return NULL;
}

const char *uefi_ascii(const CHAR16 *text, char *out, unsigned size)
{
	unsigned n = 0;
	for (; text && text[n] && n + 1 < size; n++)
		out[n] = text[n] < 0x80 ? (char)text[n] : '?';
	out[n] = '\0';
	return out;
}

bool uefi_host_param(const char *key, unsigned long long *value)
{
	EFI_LOADED_IMAGE *self = NULL;
	static char options[4096];
	char wanted[64];
	uefi_call_wrapper(BS->HandleProtocol, 3, uefi_image_handle, &LoadedImageProtocol, (void **)&self);
	if (!self || !self->LoadOptions || self->LoadOptionsSize < sizeof(CHAR16))
		return false;
	unsigned chars = self->LoadOptionsSize / sizeof(CHAR16), n = 0;
	const CHAR16 *text = self->LoadOptions;
	for (; n < chars && n + 1 < sizeof(options) && text[n]; n++)
		options[n] = text[n] < 0x80 ? (char)text[n] : '?';
	options[n] = '\0';
	unsigned wanted_length = (unsigned)text_format(wanted, sizeof(wanted), "avps.%s=", key);
	for (unsigned at = 0; at < n; at++) {
		if ((at > 0 && options[at - 1] != ' ') || strncmpa((CHAR8 *)options + at, (CHAR8 *)wanted, wanted_length) != 0)
			continue;
		const char *digits = options + at + wanted_length;
		unsigned long long v = 0;
		unsigned count = 0;
		for (; digits[count] >= '0' && digits[count] <= '9'; count++)
			v = v * 10 + (unsigned long long)(digits[count] - '0');
		if (count == 0 || (digits[count] != ' ' && digits[count] != '\0'))
			return false;
		*value = v;
		return true;
	}
	return false;
}

static void run_case(const struct uefi_case *c)
{
	current = c;
	case_outcome_start(&outcome);
	c->run();
	case_outcome_report(&outcome, &ktap, c->id);
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	InitializeLib(image, system_table);
	uefi_image_handle = image;
	ktap_init(&ktap, put_conout, NULL);
	ktap_header(&ktap);
	ktap_plan(&ktap, 1);
	ktap_subtest_begin(&ktap);
	ktap_header(&ktap);
	ktap_plan(&ktap, CASE_COUNT);
	ktap_diag(&ktap, "probe %s: EFI application, system table at %p, %llu configuration tables", PROBE_NAME,
		  (void *)system_table, (unsigned long long)system_table->NumberOfTableEntries);
	for (int i = 0; i < CASE_COUNT; i++)
		run_case(cases[i]);
	/* Only reached when ResetSystem returned (reset_system reported not ok). */
	int failed = ktap_subtest_end(&ktap);
	ktap_result(&ktap, failed ? KTAP_FAIL : KTAP_PASS, PROBE_NAME, NULL);
	return EFI_SUCCESS;
}
