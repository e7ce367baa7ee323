/* UEFI probe cases: the system table and its services tables, ConOut, and the configuration tables (DTB/ACPI, RT_PROPERTIES). */
#include "uefi_probe.h"

/* Devicetree Specification, 5.2: the blob's first word, big-endian. */
#define FDT_MAGIC_BYTES "\xd0\x0d\xfe\xed"
/* UEFI 2.10, 4.6.2 EFI_RT_PROPERTIES_TABLE. */
static const EFI_GUID rt_properties_guid = {0xeb66918a, 0x7eef, 0x402a,
					    {0x84, 0x2e, 0x93, 0x1d, 0x21, 0xc3, 0x8a, 0xe9}};
static const EFI_GUID dtb_guid = {0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};
static const EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;

struct rt_properties_table {
	UINT16 Version;
	UINT16 Length;
	UINT32 RuntimeServicesSupported;
};

static bool bytes_equal(const void *a, const void *b, UINTN n)
{
	const UINT8 *x = a, *y = b;
	for (UINTN i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* UEFI 2.10, 4.2 EFI Table Header: CRC32 over HeaderSize bytes with the CRC32 field zero. */
static bool header_crc_ok(const EFI_TABLE_HEADER *header, UINT32 *computed)
{
	static UINT8 copy[1024];
	if (header->HeaderSize > sizeof(copy))
		return false;
	CopyMem(copy, (void *)header, header->HeaderSize);
	((EFI_TABLE_HEADER *)copy)->CRC32 = 0;
	*computed = 0;
	EFI_STATUS status = uefi_call_wrapper(BS->CalculateCrc32, 3, copy, (UINTN)header->HeaderSize, computed);
	return !EFI_ERROR(status) && *computed == header->CRC32;
}

UEFI_CASE(system_table, "boot.uefi.system_table",
	   AVPS_CHECKS("system, boot and runtime services tables carry their signatures and correct header CRC32, "
	               "revision >= 2.0"),
	   "AVPS.BOOT.2")
{
	char vendor[64];
	UINT32 crc = 0;
	uefi_check(ST->Hdr.Signature == EFI_SYSTEM_TABLE_SIGNATURE, "expected system table signature 0x%llx, seen 0x%llx",
		   (unsigned long long)EFI_SYSTEM_TABLE_SIGNATURE, (unsigned long long)ST->Hdr.Signature);
	uefi_check(ST->Hdr.Revision >= (2u << 16), "expected UEFI revision >= 2.0, seen 0x%x", ST->Hdr.Revision);
	uefi_check(header_crc_ok(&ST->Hdr, &crc), "expected system table CRC32 0x%x, computed 0x%x", ST->Hdr.CRC32, crc);
	uefi_check(ST->FirmwareVendor != NULL, "expected a FirmwareVendor string, seen NULL");
	uefi_check(BS->Hdr.Signature == EFI_BOOT_SERVICES_SIGNATURE, "expected boot services signature, seen 0x%llx",
		   (unsigned long long)BS->Hdr.Signature);
	uefi_check(header_crc_ok(&BS->Hdr, &crc), "expected boot services CRC32 0x%x, computed 0x%x", BS->Hdr.CRC32, crc);
	uefi_check(RT->Hdr.Signature == EFI_RUNTIME_SERVICES_SIGNATURE, "expected runtime services signature, "
		   "seen 0x%llx", (unsigned long long)RT->Hdr.Signature);
	uefi_check(header_crc_ok(&RT->Hdr, &crc), "expected runtime services CRC32 0x%x, computed 0x%x", RT->Hdr.CRC32,
		   crc);
	uefi_diag("firmware \"%s\" revision 0x%x, UEFI %u.%u", uefi_ascii(ST->FirmwareVendor, vendor, sizeof(vendor)),
		  ST->FirmwareRevision, ST->Hdr.Revision >> 16, ST->Hdr.Revision & 0xffff);
}

UEFI_CASE(console_out, "boot.uefi.console_out",
	   AVPS_CHECKS("ConOut has a mode whose QueryMode gives columns and OutputString never failed"),
	   "AVPS.BOOT.2")
{
	if (!uefi_check(ST->ConOut != NULL && ST->ConOut->Mode != NULL, "expected ConOut with a Mode, seen NULL"))
		return;
	UINTN columns = 0, rows = 0;
	EFI_STATUS status = uefi_call_wrapper(ST->ConOut->QueryMode, 4, ST->ConOut, (UINTN)ST->ConOut->Mode->Mode,
					      &columns, &rows);
	uefi_check(!EFI_ERROR(status) && columns > 0, "expected QueryMode(current mode %d) to give columns, seen "
		   "status 0x%llx, %llu columns", ST->ConOut->Mode->Mode, (unsigned long long)status,
		   (unsigned long long)columns);
	uefi_check(uefi_console_status() == EFI_SUCCESS, "expected OutputString to succeed, seen status 0x%llx",
		   (unsigned long long)uefi_console_status());
	uefi_diag("ConOut mode %d of %d: %llux%llu", ST->ConOut->Mode->Mode, ST->ConOut->Mode->MaxMode,
		  (unsigned long long)columns, (unsigned long long)rows);
}

UEFI_CASE(config_table_dt_or_acpi, "boot.uefi.config_table_dt_or_acpi",
	   AVPS_CHECKS("a DTB configuration table starting with the FDT magic or an ACPI 2.0+ RSDP is installed"),
	   "AVPS.BOOT.2")
{
	const UINT8 *dtb = uefi_config_table(&dtb_guid);
	const UINT8 *rsdp = uefi_config_table(&acpi20_guid);
	uefi_check(dtb || rsdp, "expected a DTB or ACPI 2.0 configuration table among %llu, seen neither",
		   (unsigned long long)ST->NumberOfTableEntries);
	if (dtb)
		uefi_check(bytes_equal(dtb, FDT_MAGIC_BYTES, 4), "expected the DTB table to start with the FDT magic "
			   "d00dfeed, seen %02x%02x%02x%02x", dtb[0], dtb[1], dtb[2], dtb[3]);
	if (rsdp)
		uefi_check(bytes_equal(rsdp, "RSD PTR ", 8) && rsdp[15] >= 2, "expected an ACPI 2.0+ RSDP (\"RSD PTR \", "
			   "revision >= 2), seen revision %u", rsdp[15]);
	uefi_diag("%llu configuration tables; platform description: %s%s%s", (unsigned long long)ST->NumberOfTableEntries,
		  dtb ? "DTB" : "", dtb && rsdp ? " + " : "", rsdp ? "ACPI" : "");
}

UEFI_CASE(rt_properties, "boot.uefi.rt_properties",
	   AVPS_CHECKS("an EFI_RT_PROPERTIES_TABLE, if installed, has version 1 and a full length"),
	   "AVPS.BOOT.2")
{
	const struct rt_properties_table *table = uefi_config_table(&rt_properties_guid);
	if (!table) {
		/* UEFI 2.10, 4.6.2: without the table, every runtime service is supported. */
		uefi_diag("no EFI_RT_PROPERTIES_TABLE: every runtime service is declared supported");
		return;
	}
	uefi_check(table->Version == 1, "expected EFI_RT_PROPERTIES_TABLE version 1, seen %u", table->Version);
	uefi_check(table->Length >= sizeof(*table), "expected EFI_RT_PROPERTIES_TABLE length >= %u, seen %u",
		   (unsigned)sizeof(*table), table->Length);
	uefi_diag("RT_PROPERTIES: supported 0x%x (GetTime %s, GetVariable %s, SetVariable %s, ResetSystem %s)",
		  table->RuntimeServicesSupported, table->RuntimeServicesSupported & 0x1 ? "yes" : "no",
		  table->RuntimeServicesSupported & 0x10 ? "yes" : "no",
		  table->RuntimeServicesSupported & 0x40 ? "yes" : "no",
		  table->RuntimeServicesSupported & 0x400 ? "yes" : "no");
}
