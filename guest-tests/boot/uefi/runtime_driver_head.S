/* PE/COFF header and entry of the fault services runtime driver: sections 64 KiB aligned, so EDK2 maps its code executable for the OS. */
/*
 * gnu-efi's crt0 header aligns sections to 4 KiB. On AArch64 EDK2 allocates runtime memory
 * in 64 KiB units and protects a runtime image by sections only when they are 64 KiB aligned
 * (RUNTIME_PAGE_ALLOCATION_GRANULARITY); otherwise its EFI_MEMORY_ATTRIBUTES_TABLE marks the
 * whole image execute-never and Linux faults on the first call into it. Layout and sizes come
 * from runtime_driver.lds; the entry relocates the image with gnu-efi's _relocate, like
 * gnu-efi's own crt0, then calls efi_main.
 */
	.section .text.head, "ax"
	.globl ImageBase
ImageBase:
	.ascii "MZ"
	.skip 58
	.long pe_header - ImageBase        /* e_lfanew */
pe_header:
	.ascii "PE\0\0"
	.short 0xaa64                      /* Machine: AArch64 */
	.short 2                           /* NumberOfSections */
	.long 0, 0, 0                      /* TimeDateStamp, PointerToSymbolTable, NumberOfSymbols */
	.short section_table - optional_header
	.short 0x206                       /* executable, no line numbers, no debug information */
optional_header:
	.short 0x20b                       /* PE32+ */
	.byte 2, 20                        /* linker version */
	.long _text_size_pe                /* SizeOfCode */
	.long _data_size_pe                /* SizeOfInitializedData */
	.long 0                            /* SizeOfUninitializedData */
	.long _start - ImageBase           /* AddressOfEntryPoint */
	.long _text_start - ImageBase      /* BaseOfCode */
	.quad 0                            /* ImageBase */
	.long 0x10000                      /* SectionAlignment */
	.long 0x200                        /* FileAlignment */
	.short 0, 0, 0, 0, 0, 0            /* OS, image and subsystem versions */
	.long 0                            /* Win32VersionValue */
	.long _image_end - ImageBase       /* SizeOfImage */
	.long _text_start - ImageBase      /* SizeOfHeaders */
	.long 0                            /* CheckSum */
	.short EFI_SUBSYSTEM
	.short 0                           /* DllCharacteristics */
	.quad 0, 0, 0, 0                   /* stack and heap reserve/commit */
	.long 0                            /* LoaderFlags */
	.long 6                            /* NumberOfRvaAndSizes */
	.quad 0, 0, 0, 0, 0, 0             /* data directories: none (no base relocations: gnu-efi relocates itself) */
section_table:
	.ascii ".text\0\0\0"
	.long _text_size_pe                /* VirtualSize */
	.long _text_start - ImageBase      /* VirtualAddress */
	.long _text_size_pe                /* SizeOfRawData */
	.long _text_start - ImageBase      /* PointerToRawData */
	.long 0, 0
	.short 0, 0
	.long 0x60000020                   /* code, execute, read */
	.ascii ".data\0\0\0"
	.long _data_size_pe
	.long _data_start - ImageBase
	.long _data_size_pe
	.long _data_start - ImageBase
	.long 0, 0
	.short 0, 0
	.long 0xc0000040                   /* initialized data, read, write */

	.text
	.globl _start
_start:
	stp x29, x30, [sp, #-32]!
	mov x29, sp
	stp x0, x1, [sp, #16]              /* ImageHandle, SystemTable */
	adr x0, ImageBase
	adrp x1, _DYNAMIC
	add x1, x1, #:lo12:_DYNAMIC
	bl _relocate
	cbnz x0, 0f
	ldp x0, x1, [sp, #16]
	bl efi_main
0:	ldp x29, x30, [sp], #32
	ret
