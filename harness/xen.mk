# Xen target and platform comparison: 'make run-all [TARGETS="qemu-arm64 xen"]' runs each target, then compares them.
#
# Included by the top-level Makefile (harness/*.mk). Each target's run writes its own report
# folder; the report line each run prints names it, and 'avps-cts compare' puts them side by side
# in reports/compare-<time>/. A run whose verdict is 'some case failed' (exit 1) still counts;
# a run that could not happen (exit 2) stops make. With one target it is plain 'make run'.
TARGETS ?= qemu-arm64 xen

.PHONY: run-all xen-fetch
run-all: all
	@set -e -o pipefail; folders=""; \
	for t in $(TARGETS); do \
	  log=$$(mktemp); \
	  $(AVPS) run --target $$t $(if $(PROFILE),--profile $(PROFILE)) --build $(BUILD) | tee $$log || [ $${PIPESTATUS[0]} -eq 1 ]; \
	  folder=$$(sed -n 's/^report: \(.*\)\/ (.*/\1/p' $$log | tail -1); rm -f $$log; \
	  [ -n "$$folder" ] || { echo "run-all: target $$t wrote no report" >&2; exit 2; }; \
	  folders="$$folders $$folder"; \
	done; \
	if [ $(words $(TARGETS)) -gt 1 ]; then $(AVPS) compare $$folders; fi

# The Xen package (Debian's xen-hypervisor-4.17-arm64), cached and never installed; the xen
# target also fetches it on first use.
xen-fetch:
	@harness/bootstrap.sh fetch xen xen-hypervisor-4.17-arm64
