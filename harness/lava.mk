# make lava-check: LAVA integration proven with the real dispatcher (lava-run, locally, as root); see lava/README.md.
#
# Installs lava-dispatcher through bootstrap, builds the images, renders the jobs with
# 'avps-cts lava-job', runs them with lava-run (QEMU, hand-written device dictionary), turns
# each job's log into a report with 'avps-cts report --lava-results' and compares it case by
# case with a direct 'avps-cts run' of the same images: any difference fails the target.
# Board templates (u-boot, UEFI/GRUB) are checked with 'lava-run --validate' only.
.PHONY: lava-check lava-install lava-validate

LAVA_DIR := $(BUILD)/lava
LAVA_DEV := lava/devices
LAVA_PROBE ?= virtio-mmio
LAVA_RUN = timeout 900 lava-run --device $(LAVA_DEV)/qemu-aarch64-local.yaml --dispatcher $(LAVA_DEV)/dispatcher-local.yaml
KERNEL_IMAGE = $(firstword $(wildcard $(AVPS_CACHE)/arm64/kernel/boot/vmlinuz-*))

lava-install:
	@[ "$$(id -u)" -eq 0 ] || { echo "lava-check: lava-run must run as root (it writes /var/lib/lava and builds cpio device nodes)"; exit 2; }
	@harness/bootstrap.sh install lava-dispatcher lava-common qemu-system-arm cpio git
	@command -v lava-run >/dev/null || { echo "lava-check: lava-run missing after bootstrap"; exit 2; }

# One QEMU job: $(1) = job name, $(2) = --image value, $(3) = image name for the comparison.
define lava_qemu_job
	@echo "== LAVA job $(1)"
	@rm -rf $(LAVA_DIR)/out/$(1) && mkdir -p $(LAVA_DIR)/out $(LAVA_DIR)/jobs
	@start=$$(date +%s); $(AVPS) lava-services --build $(BUILD) -- sh -c \
	  '$(AVPS) lava-job --build $(BUILD) --device-type qemu --image $(2) --boot-timeout 3 \
	     --name avps-cts-lava-check-$(1) -o $(LAVA_DIR)/jobs/$(1).yaml \
	   && $(LAVA_RUN) --job-id avps-lava-check-$(1)-$$$$ --output-dir $(LAVA_DIR)/out/$(1) \
	     $(LAVA_DIR)/jobs/$(1).yaml 2> $(LAVA_DIR)/out/$(1).log'; rc=$$?; \
	  echo "lava-run $(1): exit $$rc, $$(( $$(date +%s) - start )) s" | tee -a $(LAVA_DIR)/timings.txt
	@$(AVPS) report --build $(BUILD) --lava-results $(LAVA_DIR)/out/$(1).log --target lava-$(1) \
	   --out $(LAVA_DIR)/report-$(1) > $(LAVA_DIR)/report-$(1).txt || [ $$? -eq 1 ]
endef

# Board templates: rendered with file:// URLs of the local images and validated against the
# example device dictionaries. lava-run --validate wants a TFTP server (in.tftpd, the
# TFTP_DIRECTORY of /etc/default/tftpd-hpa) and the serial connect command on the worker:
# stand-ins inside a private mount namespace, so the host's /etc is not touched.
lava-validate: lava-install all
	@$(AVPS) lava-image --build $(BUILD) > /dev/null
	@mkdir -p $(LAVA_DIR)/validate/bin $(LAVA_DIR)/validate/tftp $(LAVA_DIR)/jobs $(LAVA_DIR)/out
	@rm -rf $(LAVA_DIR)/validate/etc-default && cp -a /etc/default $(LAVA_DIR)/validate/etc-default
	@echo 'TFTP_DIRECTORY="$(CURDIR)/$(LAVA_DIR)/validate/tftp"' > $(LAVA_DIR)/validate/etc-default/tftpd-hpa
	@for p in in.tftpd telnet; do printf '#!/bin/sh\nexit 0\n' > $(LAVA_DIR)/validate/bin/$$p; chmod +x $(LAVA_DIR)/validate/bin/$$p; done
	@qemu-system-aarch64 -machine virt,dumpdtb=$(LAVA_DIR)/validate/board.dtb -cpu cortex-a57 -nographic > /dev/null
	@set -e; urls="--kernel-url file://$(KERNEL_IMAGE) --dtb-url file://$(CURDIR)/$(LAVA_DIR)/validate/board.dtb \
	  --ramdisk-url file://$(CURDIR)/$(LAVA_DIR)/images/avps-shell.cpio.gz"; \
	for spec in qemu:qemu:shell qemu:qemu:linux qemu:qemu:probe:$(LAVA_PROBE) \
	            uboot:u-boot:shell uboot:u-boot:probe:$(LAVA_PROBE) uefi-grub:uefi:shell; do \
	  dev=$${spec%%:*}; rest=$${spec#*:}; boot=$${rest%%:*}; image=$${rest#*:}; \
	  name=validate-$$dev-$$(echo $$image | tr : -); \
	  case $$dev in qemu) extra="";; uboot) extra="$$urls --testdef git --commands ramdisk";; \
	                uefi-grub) extra="$$urls --testdef git";; esac; \
	  case $$image in probe:*) [ $$dev = qemu ] || extra="$$extra --kernel-url file://$(CURDIR)/$(BUILD)/probes/$(LAVA_PROBE).img --commands tftp";; esac; \
	  $(AVPS) lava-job --build $(BUILD) --device-type $$dev --boot $$boot --image $$image $$extra -o $(LAVA_DIR)/jobs/$$name.yaml; \
	  device=$(LAVA_DEV)/example-$$dev-board.yaml; [ $$dev = qemu ] && device=$(LAVA_DEV)/qemu-aarch64-local.yaml; \
	  unshare -m sh -c "mount --bind $(LAVA_DIR)/validate/etc-default /etc/default && \
	    PATH=$(CURDIR)/$(LAVA_DIR)/validate/bin:\$$PATH timeout 120 lava-run --validate --job-id $$name-$$$$ \
	    --output-dir $(LAVA_DIR)/out/$$name --device $$device --dispatcher $(LAVA_DEV)/dispatcher-local.yaml \
	    $(LAVA_DIR)/jobs/$$name.yaml" > /dev/null 2> $(LAVA_DIR)/out/$$name.log || true; \
	  rm -rf /var/lib/lava/dispatcher/tmp/$$name-$$$$; \
	  if grep -q '"case": "job", "definition": "lava", "result": "pass"' $(LAVA_DIR)/out/$$name.log; then \
	    echo "lava-run --validate $$name: pass"; \
	  else echo "lava-run --validate $$name: FAIL (see $(LAVA_DIR)/out/$$name.log)"; exit 1; fi; \
	done

lava-check: lava-install all lava-validate
	@start=$$(date +%s); mkdir -p $(LAVA_DIR); : > $(LAVA_DIR)/timings.txt; \
	$(AVPS) lava-image --build $(BUILD) && \
	echo "== direct run (same images, same profile)" && rm -rf $(LAVA_DIR)/direct && \
	{ $(AVPS) run --build $(BUILD) --reports $(LAVA_DIR)/direct > $(LAVA_DIR)/direct.txt || [ $$? -eq 1 ]; } && \
	echo "direct run: $$(( $$(date +%s) - start )) s" | tee -a $(LAVA_DIR)/timings.txt
	$(call lava_qemu_job,shell,shell,linux)
	$(call lava_qemu_job,linux,linux,linux)
	$(call lava_qemu_job,probe-$(LAVA_PROBE),probe:$(LAVA_PROBE),$(LAVA_PROBE))
	@set -o pipefail; $(AVPS) lava-compare --build $(BUILD) --direct $$(ls -d $(LAVA_DIR)/direct/*/ | tail -1)results.json \
	  --lava shell:linux=$(LAVA_DIR)/report-shell/results.json \
	  --lava monitor:linux=$(LAVA_DIR)/report-linux/results.json \
	  --lava monitor:$(LAVA_PROBE)=$(LAVA_DIR)/report-probe-$(LAVA_PROBE)/results.json | tee $(LAVA_DIR)/comparison.md

# make lava-lab-check: the same three jobs through a real LAVA lab on this machine (lava/README.md,
# "A local LAVA lab"): Debian's lava-server with its own PostgreSQL cluster, gunicorn, scheduler,
# publisher and a lava-worker, all with their state in build/lava-lab/; jobs submitted with lavacli,
# results fetched through the REST API, compared case by case with a direct run; the lab is torn
# down at the end (LAVA_LAB_KEEP=1 leaves it up for 'make lava-lab-stop'). Not part of 'make test'.
.PHONY: lava-lab-install lava-lab-start lava-lab-stop lava-lab-check
LAVA_LAB_KEEP ?=
# Which jobs lava-lab-check submits (make test's pytest submits only the probe job: the round trip at its smallest).
LAVA_LAB_JOBS ?= shell,linux,probe

lava-lab-install: lava-install
	@harness/bootstrap.sh install lava-server lavacli postgresql gunicorn
	@for t in lava-server lavacli gunicorn /usr/lib/postgresql/*/bin/initdb; do \
	  [ -x "$$t" ] || command -v $$t >/dev/null || { echo "lava-lab: $$t missing after bootstrap"; exit 2; }; done

lava-lab-start: lava-lab-install
	@$(AVPS) lava-lab start --build $(BUILD)

lava-lab-stop:
	@$(AVPS) lava-lab stop --build $(BUILD)

lava-lab-check: lava-lab-install all kernel
	@$(AVPS) lava-lab check --build $(BUILD) --probe $(LAVA_PROBE) --jobs $(LAVA_LAB_JOBS) $(if $(LAVA_LAB_KEEP),--keep)
