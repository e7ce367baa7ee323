# reference-hv/vhost-user: the vhost-user back end that serves the device models to QEMU (the harness starts it per run).
VHOST_USER_BIN := $(BUILD)/vhost-user/avps-vhost-user
VHOST_USER_SRC := $(wildcard reference-hv/vhost-user/*.c) $(wildcard reference-hv/devices/*.c)
$(VHOST_USER_BIN): $(VHOST_USER_SRC) $(wildcard reference-hv/vhost-user/*.h reference-hv/devices/*.h) | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	gcc -std=c11 -O2 -g -D_GNU_SOURCE $(WARN) $(VHOST_USER_SRC) -o $@

all: $(VHOST_USER_BIN)
