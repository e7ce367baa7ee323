/* Firmware fault shim (EFI application started as \EFI\BOOT\BOOTAA64.EFI): has one firmware service broken, then starts the real next stage. */
/*
 * Negative controls of the boot.uefi / boot.efi cases: the firmware (EDK2, U-Boot) is made to
 * get exactly one service wrong before the probe or the kernel loader runs, from the same ESP
 * the harness builds (harness/avps_cts/targets/firmware/fault_shim.py moves the real
 * BOOTAA64.EFI to \EFI\avps\next.efi). The fault named in \avps-fault.txt is installed by the
 * runtime driver \EFI\avps\fault-services.efi (fault_driver.c); the next stage gets this
 * image's LoadOptions.
 */
#include <efi.h>
#include <efilib.h>

#define FAULT_PATH L"\\avps-fault.txt"
#define DRIVER_PATH L"\\EFI\\avps\\fault-services.efi"
#define NEXT_STAGE_PATH L"\\EFI\\avps\\next.efi"
#define NAME_MAX_CHARS 64

/* The first word of \avps-fault.txt as UCS-2. */
static EFI_STATUS read_fault_name(EFI_FILE_HANDLE root, CHAR16 *name, UINTN max_chars)
{
	EFI_FILE_HANDLE file;
	CHAR8 text[NAME_MAX_CHARS];
	EFI_STATUS status = uefi_call_wrapper(root->Open, 5, root, &file, FAULT_PATH, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(status))
		return status;
	UINTN length = sizeof(text);
	status = uefi_call_wrapper(file->Read, 3, file, &length, text);
	uefi_call_wrapper(file->Close, 1, file);
	if (EFI_ERROR(status))
		return status;
	UINTN n = 0;
	for (; n < length && n + 1 < max_chars && text[n] > ' ' && text[n] < 0x7f; n++)
		name[n] = text[n];
	name[n] = 0;
	return n > 0 ? EFI_SUCCESS : EFI_NOT_FOUND;
}

/* LoadImage + StartImage of a file on our own partition, with these LoadOptions. */
static EFI_STATUS start(EFI_HANDLE image, EFI_LOADED_IMAGE *self, CHAR16 *path, void *options, UINT32 options_size)
{
	EFI_HANDLE started;
	EFI_LOADED_IMAGE *loaded = NULL;
	EFI_DEVICE_PATH *device_path = FileDevicePath(self->DeviceHandle, path);
	EFI_STATUS status = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, device_path, NULL, 0, &started);
	if (EFI_ERROR(status)) {
		Print(L"avps-fault: LoadImage(%s) failed: %r\n", path, status);
		return status;
	}
	uefi_call_wrapper(BS->HandleProtocol, 3, started, &LoadedImageProtocol, (void **)&loaded);
	if (loaded) {
		loaded->LoadOptions = options;
		loaded->LoadOptionsSize = options_size;
	}
	return uefi_call_wrapper(BS->StartImage, 3, started, NULL, NULL);
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	static CHAR16 name[NAME_MAX_CHARS];
	EFI_LOADED_IMAGE *self = NULL;

	InitializeLib(image, system_table);
	EFI_STATUS status = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&self);
	EFI_FILE_HANDLE root = EFI_ERROR(status) ? NULL : LibOpenRoot(self->DeviceHandle);
	if (!root) {
		Print(L"avps-fault: cannot open the boot partition\n");
		return EFI_NOT_FOUND;
	}
	status = read_fault_name(root, name, NAME_MAX_CHARS);
	if (EFI_ERROR(status)) {
		Print(L"avps-fault: cannot read a fault name from %s: %r\n", FAULT_PATH, status);
		return status;
	}
	status = start(image, self, DRIVER_PATH, name, (UINT32)((StrLen(name) + 1) * sizeof(CHAR16)));
	if (EFI_ERROR(status)) {
		Print(L"avps-fault: the fault services driver refused '%s': %r\n", name, status);
		return status;
	}
	status = start(image, self, NEXT_STAGE_PATH, self->LoadOptions, self->LoadOptionsSize);
	Print(L"avps-fault: the next stage returned: %r\n", status);
	return status;
}
