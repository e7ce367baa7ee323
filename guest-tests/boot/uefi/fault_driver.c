/* Fault services driver (EFI runtime driver, avps-fault-services.efi): installs the fault its LoadOptions name and stays resident. */
/*
 * Linked as PE subsystem 12, so the firmware loads it into EfiRuntimeServicesCode memory,
 * which the OS keeps mapped after ExitBootServices: the runtime services it replaces go on
 * working (wrongly) under Linux. Firmware boot managers start only applications, so the
 * shim application (fault_shim.c) loads this driver and then the real next stage.
 */
#include "fault_shim.h"

#include <efilib.h>

#define NAME_MAX_CHARS 64

/* The fault name: this image's LoadOptions (UCS-2, as the shim passes them), as ASCII. */
static bool fault_name(EFI_HANDLE image, char *name, UINTN size)
{
	EFI_LOADED_IMAGE *self = NULL;
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&self);
	if (!self || !self->LoadOptions)
		return false;
	const CHAR16 *text = self->LoadOptions;
	UINTN n = 0, chars = self->LoadOptionsSize / sizeof(CHAR16);
	for (; n < chars && n + 1 < size && text[n] > ' ' && text[n] < 0x7f; n++)
		name[n] = (char)text[n];
	name[n] = '\0';
	return n > 0;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	char name[NAME_MAX_CHARS];
	InitializeLib(image, system_table);
	if (!fault_name(image, name, sizeof(name))) {
		Print(L"avps-fault: the fault services driver was started without a fault name\n");
		return EFI_INVALID_PARAMETER;
	}
	const struct firmware_fault *fault = NULL;
	for (const struct firmware_fault *f = firmware_faults; f->name && !fault; f++)
		if (strcmpa((CHAR8 *)f->name, (CHAR8 *)name) == 0)
			fault = f;
	if (!fault) {
		Print(L"avps-fault: unknown fault '%a'\n", name);
		return EFI_INVALID_PARAMETER;
	}
	/* Said before installing: output-string-fails would make this line report an error. */
	Print(L"avps-fault: installing %a: %a\n", fault->name, fault->breaks);
	EFI_STATUS status = fault->install();
	if (EFI_ERROR(status))
		Print(L"avps-fault: installing %a failed: %r\n", fault->name, status);
	return status; /* EFI_SUCCESS keeps the driver, and its replacement services, resident */
}
