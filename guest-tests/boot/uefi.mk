# UEFI applications built with Debian's gnu-efi (arm64): the avps-uefi probe and the ESP kernel loader, into build/probes-uefi/.
# Debian 12's crt0-efi-aarch64.o carries its own PE/COFF header, so the PE file is the
# linked shared object's sections copied out with -O binary (BOOT-NOTES §2).
UEFI_DIR := guest-tests/boot/uefi
UEFI_OUT := $(BUILD)/probes-uefi
GNU_EFI := $(AVPS_CACHE)/arm64/gnu-efi/usr
UEFI_BOOTSTRAP_STAMP := $(BUILD)/.bootstrap-uefi
# Firmware, ESP tools and gnu-efi: what the UEFI and U-Boot targets need.
$(UEFI_BOOTSTRAP_STAMP): harness/bootstrap.sh | $(BOOTSTRAP_STAMP)
	@harness/bootstrap.sh install qemu-efi-aarch64 u-boot-qemu u-boot-tools mtools dosfstools gdisk
	@harness/bootstrap.sh fetch gnu-efi gnu-efi
	@mkdir -p $(@D) && touch $@
UEFI_CFLAGS := -std=c11 -O2 -fpic -fshort-wchar -fno-stack-protector -ffreestanding -fno-strict-aliasing \
	-fno-merge-all-constants -mstrict-align -mgeneral-regs-only $(WARN) -Wno-pointer-sign \
	-isystem $(GNU_EFI)/include/efi -isystem $(GNU_EFI)/include/efi/aarch64 \
	-isystem $(GNU_EFI)/include/efi/protocol -Iguest-tests/lib -I$(UEFI_DIR)
UEFI_LDFLAGS := -nostdlib --no-undefined -shared -Bsymbolic -znocombreloc --no-warn-rwx-segments \
	-T $(GNU_EFI)/lib/elf_aarch64_efi.lds
UEFI_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .rel.* -j .rela.* -j .reloc

$(UEFI_OUT)/obj/%.o: $(UEFI_DIR)/%.c $(wildcard $(UEFI_DIR)/*.h guest-tests/lib/avps_case.h) | $(UEFI_BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(UEFI_CFLAGS) -c $< -o $@

# $(1) = application name, $(2) = its sources (file names in $(UEFI_DIR)).
define UEFI_APP
$(UEFI_OUT)/$(1).elf: $(patsubst %.c,$(UEFI_OUT)/obj/%.o,$(2))
	$$(CROSS)ld $$(UEFI_LDFLAGS) --defsym=EFI_SUBSYSTEM=0xa $$(GNU_EFI)/lib/crt0-efi-aarch64.o $$^ -L$$(GNU_EFI)/lib -lefi -lgnuefi \
		$$$$($$(CROSS)gcc -print-libgcc-file-name) -o $$@
$(UEFI_OUT)/$(1).efi: $(UEFI_OUT)/$(1).elf
	$$(CROSS)objcopy $$(UEFI_SECTIONS) -O binary $$< $$@
	@# A PE image starts with "MZ"; firmware silently skips anything else.
	@test "$$$$(head -c 2 $$@)" = MZ || { echo "$$@: no PE/COFF header" >&2; rm -f $$@; exit 1; }
PROBES += $(UEFI_OUT)/$(1).efi
endef

$(eval $(call UEFI_APP,avps-loader,kernel_loader.c))
# The probe: the KTAP emitter and formatter are the ones the bare-metal probes use.
$(UEFI_OUT)/obj/lib-%.o: guest-tests/lib/%.c $(wildcard guest-tests/lib/*.h) | $(UEFI_BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc $(UEFI_CFLAGS) -c $< -o $@
$(eval $(call UEFI_APP,avps-uefi,uefi_probe.c cases_tables.c cases_memory_map.c cases_runtime.c lib-ktap.c lib-text_format.c lib-case_outcome.c))
# The firmware fault shim of the negative controls (guest-tests/boot/README.md): the application
# boot managers start, and the runtime driver (PE subsystem 12, loaded into EfiRuntimeServicesCode)
# that installs the fault. The driver has its own PE header and layout (runtime_driver_head.S,
# runtime_driver.lds): code and data 64 KiB aligned, or EDK2 maps it execute-never for the OS.
$(eval $(call UEFI_APP,avps-fault,fault_shim.c))
$(UEFI_OUT)/obj/runtime_driver_head.o: $(UEFI_DIR)/runtime_driver_head.S | $(UEFI_BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(CROSS)gcc -c $< -o $@
$(UEFI_OUT)/avps-fault-services.elf: $(UEFI_OUT)/obj/runtime_driver_head.o $(UEFI_OUT)/obj/fault_driver.o \
		$(UEFI_OUT)/obj/fault_services.o $(UEFI_DIR)/runtime_driver.lds
	$(CROSS)ld -nostdlib --no-undefined -shared -Bsymbolic -znocombreloc --no-warn-rwx-segments \
		-T $(UEFI_DIR)/runtime_driver.lds --defsym=EFI_SUBSYSTEM=0xc $(filter %.o,$^) -L$(GNU_EFI)/lib -lefi -lgnuefi \
		$$($(CROSS)gcc -print-libgcc-file-name) -o $@
$(UEFI_OUT)/avps-fault-services.efi: $(UEFI_OUT)/avps-fault-services.elf
	$(CROSS)objcopy -j .text -j .data -j .dynamic -j .rela.dyn -j .rela.plt -j .rela.got -j .rela.data -O binary $< $@
	@# The .data section's raw size is rounded to the 512-byte file alignment: so is the file.
	@truncate -s $$(( ($$(stat -c %s $@) + 511) / 512 * 512 )) $@
	@test "$$(head -c 2 $@)" = MZ || { echo "$@: no PE/COFF header" >&2; rm -f $@; exit 1; }
PROBES += $(UEFI_OUT)/avps-fault-services.efi
