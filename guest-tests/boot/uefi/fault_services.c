/* Broken firmware services the fault shim installs: each replaces one service of the running firmware and keeps working after SetVirtualAddressMap. */
/*
 * Linked into the fault services driver (fault_driver.c), a runtime driver: the firmware
 * loads it into EfiRuntimeServicesCode memory, which the OS keeps mapped after
 * ExitBootServices. Code that runs at runtime reads only this file's static variables
 * (PC-relative, no GOT entry, no absolute address the firmware would have to relocate) and
 * calls the firmware's own service through a pointer that the virtual-address-change event
 * converts. The firmware converts the runtime services table entries (our replacements among
 * them) itself during SetVirtualAddressMap. Boot-time-only faults (ConOut, the stale CRC32)
 * need none of this.
 */
#include "fault_shim.h"

#include <efilib.h>
#include <stdbool.h>

/* The firmware's own services, converted to virtual addresses by on_virtual_address_change. */
static EFI_GET_VARIABLE firmware_get_variable;
static EFI_RESET_SYSTEM firmware_reset_system;
static EFI_TEXT_OUTPUT_STRING firmware_output_string;
static EFI_STALL firmware_stall;
static EFI_EVENT virtual_address_change;

/* The variable listed-variable-unreadable refuses: EDK2 and U-Boot both create it at boot
 * (volatile, BS|RT), so GetNextVariableName lists it at runtime. */
static const CHAR16 unreadable_variable[] = L"PlatformLangCodes";

static bool same_name(const CHAR16 *a, const CHAR16 *b)
{
	if (!a)
		return false;
	for (; *a && *a == *b; a++, b++)
		;
	return *a == *b;
}

/* The runtime services table changed: its CRC32 covers the header (UEFI 2.10, 4.2). */
static void update_runtime_crc(void)
{
	RT->Hdr.CRC32 = 0;
	uefi_call_wrapper(BS->CalculateCrc32, 3, RT, (UINTN)RT->Hdr.HeaderSize, &RT->Hdr.CRC32);
}

static VOID EFIAPI on_virtual_address_change(EFI_EVENT event, VOID *context)
{
	(void)event;
	(void)context;
	/* Runs in physical mode inside SetVirtualAddressMap; a pointer left NULL stays NULL. */
	if (firmware_get_variable)
		RT->ConvertPointer(0, (VOID **)&firmware_get_variable);
	if (firmware_reset_system)
		RT->ConvertPointer(0, (VOID **)&firmware_reset_system);
}

/* Runtime replacements need their firmware pointers converted when the OS sets its map. */
static EFI_STATUS watch_virtual_address_change(void)
{
	if (virtual_address_change)
		return EFI_SUCCESS;
	return uefi_call_wrapper(BS->CreateEvent, 5, EVT_SIGNAL_VIRTUAL_ADDRESS_CHANGE, TPL_NOTIFY,
				 on_virtual_address_change, NULL, &virtual_address_change);
}

/* ---- SetVariable -------------------------------------------------------------------- */
static EFI_STATUS EFIAPI set_variable_stores_nothing(CHAR16 *name, EFI_GUID *vendor, UINT32 attributes,
						     UINTN size, VOID *data)
{
	(void)name, (void)vendor, (void)attributes, (void)size, (void)data;
	return EFI_SUCCESS; /* and nothing is written */
}

static EFI_STATUS EFIAPI set_variable_fails(CHAR16 *name, EFI_GUID *vendor, UINT32 attributes, UINTN size,
					    VOID *data)
{
	(void)name, (void)vendor, (void)attributes, (void)size, (void)data;
	return EFI_DEVICE_ERROR;
}

static EFI_STATUS install_set_variable_stores_nothing(void)
{
	RT->SetVariable = set_variable_stores_nothing;
	update_runtime_crc();
	return EFI_SUCCESS;
}

static EFI_STATUS install_set_variable_fails(void)
{
	RT->SetVariable = set_variable_fails;
	update_runtime_crc();
	return EFI_SUCCESS;
}

/* ---- GetVariable -------------------------------------------------------------------- */
static EFI_STATUS EFIAPI get_variable_refuses_one(CHAR16 *name, EFI_GUID *vendor, UINT32 *attributes,
						  UINTN *size, VOID *data)
{
	if (same_name(name, unreadable_variable))
		return EFI_DEVICE_ERROR;
	return firmware_get_variable(name, vendor, attributes, size, data);
}

static EFI_STATUS install_listed_variable_unreadable(void)
{
	EFI_STATUS status = watch_virtual_address_change();
	if (EFI_ERROR(status))
		return status;
	firmware_get_variable = RT->GetVariable;
	RT->GetVariable = get_variable_refuses_one;
	update_runtime_crc();
	return EFI_SUCCESS;
}

/* ---- ResetSystem -------------------------------------------------------------------- */
static EFI_STATUS EFIAPI reset_system_powers_off(EFI_RESET_TYPE type, EFI_STATUS status, UINTN size, CHAR16 *data)
{
	(void)type;
	return firmware_reset_system(EfiResetShutdown, status, size, data);
}

static EFI_STATUS install_reset_powers_off(void)
{
	EFI_STATUS status = watch_virtual_address_change();
	if (EFI_ERROR(status))
		return status;
	firmware_reset_system = RT->ResetSystem;
	RT->ResetSystem = reset_system_powers_off;
	update_runtime_crc();
	return EFI_SUCCESS;
}

/* ---- ConOut (boot services only) ---------------------------------------------------- */
static EFI_STATUS EFIAPI output_string_fails(SIMPLE_TEXT_OUTPUT_INTERFACE *self, CHAR16 *text)
{
	firmware_output_string(self, text); /* the text still shows: only the status is wrong */
	return EFI_DEVICE_ERROR;
}

static EFI_STATUS install_output_string_fails(void)
{
	firmware_output_string = ST->ConOut->OutputString;
	ST->ConOut->OutputString = output_string_fails;
	return EFI_SUCCESS;
}

/* ---- a stale CRC32 ------------------------------------------------------------------ */
static EFI_STATUS EFIAPI stall_passed_through(UINTN microseconds)
{
	return firmware_stall(microseconds);
}

/* A boot service is wrapped (it behaves as before) and the table's CRC32 is not recomputed. */
static EFI_STATUS install_boot_services_crc_stale(void)
{
	firmware_stall = BS->Stall;
	BS->Stall = stall_passed_through;
	return EFI_SUCCESS;
}

/* ---- the system table's revision ---------------------------------------------------- */
/* UEFI 1.10 in the system table header (CRC32 recomputed: only the revision is wrong). */
static EFI_STATUS install_system_table_revision_1_10(void)
{
	ST->Hdr.Revision = (1u << 16) | 10u;
	ST->Hdr.CRC32 = 0;
	return uefi_call_wrapper(BS->CalculateCrc32, 3, ST, (UINTN)ST->Hdr.HeaderSize, &ST->Hdr.CRC32);
}

/* ---- EFI_RT_PROPERTIES_TABLE -------------------------------------------------------- */
/* UEFI 2.10, 4.6.2: the table's GUID; the fault installs it with Version 2 (only 1 exists). */
static EFI_GUID rt_properties_guid = {0xeb66918a, 0x7eef, 0x402a, {0x84, 0x2e, 0x93, 0x1d, 0x21, 0xc3, 0x8a, 0xe9}};

struct rt_properties_table {
	UINT16 Version;
	UINT16 Length;
	UINT32 RuntimeServicesSupported;
};

static EFI_STATUS install_rt_properties_bad_version(void)
{
	struct rt_properties_table *table = NULL;
	/* Configuration tables the OS reads live in runtime memory. */
	EFI_STATUS status = uefi_call_wrapper(BS->AllocatePool, 3, EfiRuntimeServicesData, sizeof(*table),
					      (void **)&table);
	if (EFI_ERROR(status))
		return status;
	table->Version = 2;
	table->Length = sizeof(*table);
	table->RuntimeServicesSupported = 0x3fff; /* every service, as EDK2 declares by having no table */
	return uefi_call_wrapper(BS->InstallConfigurationTable, 2, &rt_properties_guid, table);
}

/* ---- the platform description ------------------------------------------------------ */
/* The devicetree's configuration table is removed (InstallConfigurationTable with NULL);
 * with acpi=off EDK2 installs no ACPI tables either. */
static EFI_GUID dtb_guid = {0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};

static EFI_STATUS install_dtb_table_removed(void)
{
	return uefi_call_wrapper(BS->InstallConfigurationTable, 2, &dtb_guid, NULL);
}

const struct firmware_fault firmware_faults[] = {
	{"set-variable-stores-nothing", "SetVariable answers SUCCESS and stores nothing",
	 install_set_variable_stores_nothing},
	{"set-variable-fails", "SetVariable answers DEVICE_ERROR (no RT_PROPERTIES table declares it)",
	 install_set_variable_fails},
	{"listed-variable-unreadable", "GetVariable(PlatformLangCodes) answers DEVICE_ERROR while "
	 "GetNextVariableName lists it", install_listed_variable_unreadable},
	{"reset-powers-off", "ResetSystem powers the machine off whatever reset type is asked",
	 install_reset_powers_off},
	{"output-string-fails", "ConOut->OutputString prints and answers DEVICE_ERROR", install_output_string_fails},
	{"boot-services-crc-stale", "BS->Stall is replaced and the boot services table CRC32 is left stale",
	 install_boot_services_crc_stale},
	{"system-table-revision-1.10", "the system table declares UEFI 1.10", install_system_table_revision_1_10},
	{"rt-properties-bad-version", "an EFI_RT_PROPERTIES_TABLE with Version 2 is installed",
	 install_rt_properties_bad_version},
	{"dtb-table-removed", "the devicetree configuration table is removed", install_dtb_table_removed},
	{NULL, NULL, NULL},
};
