/* UEFI probe case: the boot services memory map, walked by DescriptorSize, is well formed and holds this image. */
#include "uefi_probe.h"

#define PAGE_BYTES 4096ull
/* UEFI 2.10, 7.2.3 EFI_MEMORY_TYPE: OEM (0x70000000..) and OS (0x80000000..) ranges are allowed. */
#define OEM_MEMORY_TYPES_START 0x70000000u

static const EFI_MEMORY_DESCRIPTOR *entry(const UINT8 *map, UINTN descriptor_size, UINTN index)
{
	return (const EFI_MEMORY_DESCRIPTOR *)(map + index * descriptor_size);
}

static bool is_mmio(UINT32 type)
{
	return type == EfiMemoryMappedIO || type == EfiMemoryMappedIOPortSpace;
}

UEFI_CASE(memory_map, "boot.uefi.memory_map",
	   AVPS_CHECKS("GetMemoryMap gives aligned, non-overlapping, typed descriptors with conventional memory, this "
	               "image in LoaderCode, summing to avps.mem_mib"),
	   "AVPS.BOOT.2")
{
	UINTN size = 0, key, descriptor_size = 0;
	UINT32 version = 0;
	EFI_STATUS status = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &descriptor_size, &version);
	if (!uefi_check(status == EFI_BUFFER_TOO_SMALL && size > 0, "expected GetMemoryMap(size 0) to ask for a "
			"buffer, seen status 0x%llx", (unsigned long long)status))
		return;
	size += 4 * descriptor_size; /* the pool allocation itself may add entries */
	UINT8 *map = AllocatePool(size);
	if (!uefi_check(map != NULL, "AllocatePool(%llu) failed", (unsigned long long)size))
		return;
	status = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &descriptor_size,
				   &version);
	if (!uefi_check(!EFI_ERROR(status), "expected GetMemoryMap to succeed, seen status 0x%llx",
			(unsigned long long)status))
		goto out;
	uefi_check(version == EFI_MEMORY_DESCRIPTOR_VERSION, "expected descriptor version 1, seen %u", version);
	/* Walk by DescriptorSize, never sizeof: EDK2 uses 48, U-Boot 40. */
	uefi_check(descriptor_size >= sizeof(EFI_MEMORY_DESCRIPTOR) && descriptor_size % 8 == 0,
		   "expected DescriptorSize >= %u and 8-byte aligned, seen %llu", (unsigned)sizeof(EFI_MEMORY_DESCRIPTOR),
		   (unsigned long long)descriptor_size);
	UINTN count = size / descriptor_size;
	unsigned long long ram = 0, conventional = 0, runtime = 0;
	EFI_LOADED_IMAGE *self = NULL;
	uefi_call_wrapper(BS->HandleProtocol, 3, uefi_image_handle, &LoadedImageProtocol, (void **)&self);
	UINT64 image = self ? (UINT64)(UINTN)self->ImageBase : 0;
	bool image_found = false;
	for (UINTN i = 0; i < count; i++) {
		const EFI_MEMORY_DESCRIPTOR *d = entry(map, descriptor_size, i);
		UINT64 end = d->PhysicalStart + d->NumberOfPages * PAGE_BYTES;
		uefi_check(d->NumberOfPages > 0 && d->PhysicalStart % PAGE_BYTES == 0, "entry %llu: expected a 4 KiB "
			   "aligned, non-empty range, seen 0x%llx + %llu pages", (unsigned long long)i,
			   (unsigned long long)d->PhysicalStart, (unsigned long long)d->NumberOfPages);
		uefi_check(d->Type < EfiMaxMemoryType || d->Type >= OEM_MEMORY_TYPES_START, "entry %llu: unknown "
			   "memory type %u", (unsigned long long)i, d->Type);
		for (UINTN j = 0; j < i; j++) {
			const EFI_MEMORY_DESCRIPTOR *o = entry(map, descriptor_size, j);
			UINT64 o_end = o->PhysicalStart + o->NumberOfPages * PAGE_BYTES;
			uefi_check(end <= o->PhysicalStart || d->PhysicalStart >= o_end, "entries %llu and %llu overlap: "
				   "0x%llx-0x%llx and 0x%llx-0x%llx", (unsigned long long)j, (unsigned long long)i,
				   (unsigned long long)o->PhysicalStart, (unsigned long long)o_end,
				   (unsigned long long)d->PhysicalStart, (unsigned long long)end);
		}
		if (!is_mmio(d->Type))
			ram += d->NumberOfPages * PAGE_BYTES;
		if (d->Type == EfiConventionalMemory)
			conventional += d->NumberOfPages * PAGE_BYTES;
		if (d->Attribute & EFI_MEMORY_RUNTIME)
			runtime++;
		if (d->Type == EfiLoaderCode && image >= d->PhysicalStart && image < end)
			image_found = true;
	}
	uefi_check(conventional > 0, "expected conventional memory in the map, seen none");
	uefi_check(image_found, "expected this image (at 0x%llx) inside a LoaderCode entry, seen none",
		   (unsigned long long)image);
	unsigned long long mib;
	if (uefi_host_param("mem_mib", &mib))
		uefi_check(ram == mib << 20, "expected %llu MiB of memory (avps.mem_mib), the map describes %llu MiB",
			   mib, ram >> 20);
	else
		uefi_diag("the host declared no avps.mem_mib (no LoadOptions): total not compared");
	uefi_diag("memory map: %llu entries of %llu bytes, %llu MiB memory, %llu MiB conventional, %llu runtime",
		  (unsigned long long)count, (unsigned long long)descriptor_size, ram >> 20, conventional >> 20, runtime);
out:
	FreePool(map);
}
