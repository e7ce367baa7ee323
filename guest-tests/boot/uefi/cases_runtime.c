/* UEFI probe cases: runtime services called before ExitBootServices (GetTime, variables) and ResetSystem, judged by the host. */
#include "uefi_probe.h"

/* Our own vendor GUID for the test variable. */
static EFI_GUID probe_vendor = {0x5c1b2e2a, 0x4f3d, 0x4b7e, {0x9a, 0x61, 0x0c, 0x5e, 0x7f, 0x3a, 0x9d, 0x21}};
#define TEST_VARIABLE L"AvpsUefiProbe"
#define TEST_ATTRIBUTES (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
#define NAME_CHARS 512

UEFI_CASE(get_time, "boot.uefi.get_time",
	   AVPS_CHECKS("GetTime succeeds with fields and TimeZone in the UEFI ranges"),
	   "AVPS.BOOT.2")
{
	EFI_TIME t;
	EFI_TIME_CAPABILITIES caps;
	EFI_STATUS status = uefi_call_wrapper(RT->GetTime, 2, &t, &caps);
	if (!uefi_check(!EFI_ERROR(status), "expected GetTime to succeed, seen status 0x%llx",
			(unsigned long long)status))
		return;
	/* UEFI 2.10, 8.3 Time Services: field ranges. */
	uefi_check(t.Year >= 1998 && t.Year <= 9999 && t.Month >= 1 && t.Month <= 12 && t.Day >= 1 && t.Day <= 31 &&
		   t.Hour < 24 && t.Minute < 60 && t.Second < 60, "expected a valid time, seen %04u-%02u-%02u "
		   "%02u:%02u:%02u", t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second);
	uefi_check(t.TimeZone == EFI_UNSPECIFIED_TIMEZONE || (t.TimeZone >= -1440 && t.TimeZone <= 1440),
		   "expected TimeZone in -1440..1440 or 2047, seen %d", t.TimeZone);
	uefi_diag("GetTime %04u-%02u-%02u %02u:%02u:%02u tz %d, resolution %u Hz", t.Year, t.Month, t.Day, t.Hour,
		  t.Minute, t.Second, t.TimeZone, caps.Resolution);
}

static bool name_is_test_variable(const CHAR16 *name, const EFI_GUID *guid)
{
	return CompareGuid((EFI_GUID *)guid, &probe_vendor) == 0 && StrCmp((CHAR16 *)name, TEST_VARIABLE) == 0;
}

/* GetNextVariableName over the whole store: how many, and whether ours is among them. */
static UINTN count_variables(bool *found_test_variable, EFI_STATUS *last)
{
	static CHAR16 name[NAME_CHARS];
	EFI_GUID guid;
	UINTN count = 0;
	name[0] = 0;
	*found_test_variable = false;
	for (;;) {
		UINTN size = sizeof(name);
		*last = uefi_call_wrapper(RT->GetNextVariableName, 3, &size, name, &guid);
		if (EFI_ERROR(*last))
			return count;
		count++;
		if (name_is_test_variable(name, &guid))
			*found_test_variable = true;
	}
}

UEFI_CASE(variables, "boot.uefi.variables",
	   AVPS_CHECKS("SetVariable(NV|BS|RT) stores 4 bytes GetVariable returns with the attributes, the walk lists "
	               "it and ends NOT_FOUND, deletion works"),
	   "AVPS.BOOT.2")
{
	UINT8 written[4] = {'a', 'v', 'p', 's'}, read_back[16];
	UINT32 attributes = 0;
	UINTN size = sizeof(read_back);
	EFI_STATUS status = uefi_call_wrapper(RT->SetVariable, 5, TEST_VARIABLE, &probe_vendor, TEST_ATTRIBUTES,
					      sizeof(written), written);
	if (!uefi_check(!EFI_ERROR(status), "expected SetVariable(NV|BS|RT) to succeed, seen status 0x%llx",
			(unsigned long long)status))
		return;
	status = uefi_call_wrapper(RT->GetVariable, 5, TEST_VARIABLE, &probe_vendor, &attributes, &size, read_back);
	uefi_check(!EFI_ERROR(status) && size == sizeof(written) && CompareMem(read_back, written, sizeof(written)) == 0,
		   "expected GetVariable to return the 4 bytes written, seen status 0x%llx, %llu bytes",
		   (unsigned long long)status, (unsigned long long)size);
	uefi_check(attributes == TEST_ATTRIBUTES, "expected attributes 0x%x, seen 0x%x", TEST_ATTRIBUTES, attributes);
	bool found = false;
	EFI_STATUS end_status;
	UINTN count = count_variables(&found, &end_status);
	uefi_check(found, "expected GetNextVariableName to list %s among %llu variables, it did not", "AvpsUefiProbe",
		   (unsigned long long)count);
	uefi_check(end_status == EFI_NOT_FOUND, "expected the walk to end with NOT_FOUND, seen 0x%llx",
		   (unsigned long long)end_status);
	status = uefi_call_wrapper(RT->SetVariable, 5, TEST_VARIABLE, &probe_vendor, TEST_ATTRIBUTES, 0, NULL);
	uefi_check(!EFI_ERROR(status), "expected SetVariable with no data to delete, seen 0x%llx",
		   (unsigned long long)status);
	size = sizeof(read_back);
	status = uefi_call_wrapper(RT->GetVariable, 5, TEST_VARIABLE, &probe_vendor, &attributes, &size, read_back);
	uefi_check(status == EFI_NOT_FOUND, "expected NOT_FOUND after deleting, seen 0x%llx", (unsigned long long)status);
	uefi_diag("variables: %llu listed; set, read back, listed and deleted AvpsUefiProbe", (unsigned long long)count);
}

/* No "ok" line: the reset itself is the pass, observed by the host (QMP SHUTDOWN reason). */
UEFI_CASE(reset_system, "boot.uefi.reset_system",
	   AVPS_CHECKS("ResetSystem(EfiResetCold) does not return and the host sees a guest reset"),
	   "AVPS.BOOT.2")
{
	uefi_diag("calling ResetSystem(EfiResetCold)");
	uefi_host_check("guest-reset");
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_SUCCESS, 0, NULL);
	uefi_check(false, "ResetSystem(EfiResetCold) returned; it must not");
}
