/* ESP kernel loader (EFI application): starts \Image from its own partition with the command line in \avps-cmdline.txt. */
/*
 * The route a boot manager takes: LoadImage + StartImage with LoadOptions (UEFI 2.10, 7.4
 * Image Services). The kernel's EFI stub reads its command line, initrd= included, from the
 * LoadOptions. It exists because EDK2 boots nothing from an ESP that has no
 * \EFI\BOOT\BOOTAA64.EFI before trying the network, and the Shell's startup.nsh waits 5 s.
 */
#include <efi.h>
#include <efilib.h>

#define KERNEL_PATH L"\\Image"
#define CMDLINE_PATH L"\\avps-cmdline.txt"
#define CMDLINE_MAX 4096

/* Reads the ASCII command line file into a UCS-2 string (trailing newlines dropped). */
static EFI_STATUS read_command_line(EFI_FILE_HANDLE root, CHAR16 *out, UINTN max_chars)
{
	EFI_FILE_HANDLE file;
	static CHAR8 text[CMDLINE_MAX];
	EFI_STATUS status = uefi_call_wrapper(root->Open, 5, root, &file, CMDLINE_PATH, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(status))
		return status;
	UINTN size = sizeof(text) - 1;
	status = uefi_call_wrapper(file->Read, 3, file, &size, text);
	uefi_call_wrapper(file->Close, 1, file);
	if (EFI_ERROR(status))
		return status;
	while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r'))
		size--;
	if (size >= max_chars)
		size = max_chars - 1;
	for (UINTN i = 0; i < size; i++)
		out[i] = text[i];
	out[size] = 0;
	return EFI_SUCCESS;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	static CHAR16 command_line[CMDLINE_MAX];
	EFI_LOADED_IMAGE *self, *kernel;
	EFI_HANDLE kernel_handle;

	InitializeLib(image, system_table);
	EFI_STATUS status = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&self);
	if (EFI_ERROR(status)) {
		Print(L"avps-loader: no LoadedImage protocol: %r\n", status);
		return status;
	}
	EFI_FILE_HANDLE root = LibOpenRoot(self->DeviceHandle);
	if (!root) {
		Print(L"avps-loader: cannot open the boot partition\n");
		return EFI_NOT_FOUND;
	}
	status = read_command_line(root, command_line, CMDLINE_MAX);
	if (EFI_ERROR(status)) {
		Print(L"avps-loader: cannot read %s: %r\n", CMDLINE_PATH, status);
		return status;
	}
	EFI_DEVICE_PATH *kernel_path = FileDevicePath(self->DeviceHandle, KERNEL_PATH);
	Print(L"avps-loader: starting %s %s\n", KERNEL_PATH, command_line);
	status = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, kernel_path, NULL, 0, &kernel_handle);
	if (EFI_ERROR(status)) {
		Print(L"avps-loader: LoadImage(%s) failed: %r\n", KERNEL_PATH, status);
		return status;
	}
	uefi_call_wrapper(BS->HandleProtocol, 3, kernel_handle, &LoadedImageProtocol, (void **)&kernel);
	kernel->LoadOptions = command_line;
	kernel->LoadOptionsSize = (UINT32)((StrLen(command_line) + 1) * sizeof(CHAR16));
	status = uefi_call_wrapper(BS->StartImage, 3, kernel_handle, NULL, NULL);
	Print(L"avps-loader: the kernel returned: %r\n", status);
	return status;
}
