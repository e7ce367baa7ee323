/* Host tool: checks a refhv config (errors as file:line) and prints the QEMU arguments that load its images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "faults.h"
#include "mmio_transport.h"

#define MAX_DEFINES 8

static const char *defines[MAX_DEFINES][2];
static int n_defines;

static int usage(void)
{
	fprintf(stderr, "usage: refhv-config [--set NAME=VALUE]... CONFIG    (prints QEMU arguments, one per line)\n"
			"       refhv-config --faults                          (lists the fault switches)\n");
	return 2;
}

/* A config path may be ${NAME}, replaced by --set NAME=VALUE (the harness passes the image under test). */
static const char *resolve(const char *path)
{
	if (strncmp(path, "${", 2) != 0 || path[strlen(path) - 1] != '}')
		return path;
	for (int i = 0; i < n_defines; i++)
		if (strlen(defines[i][0]) == strlen(path) - 3 && strncmp(path + 2, defines[i][0], strlen(path) - 3) == 0)
			return defines[i][1];
	return NULL;
}

static int check_file(const char *config, int line, const char *what, const char *path, uint64_t *size)
{
	const char *resolved = resolve(path);
	struct stat st;
	if (!resolved) {
		fprintf(stderr, "%s:%d: %s %s: no --set value for it\n", config, line, what, path);
		return -1;
	}
	if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s:%d: %s %s: file not found\n", config, line, what, resolved);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Each `device` line's model and options, checked by creating the device as refhv does (transport and model). */
static int check_devices(const char *config, const struct vm_config *vm)
{
	static struct mmio_transport transport;
	static uint8_t no_ram[1];
	struct flat_memory flat = { .base = 0, .bytes = no_ram, .size = 0 };
	struct mmio_transport_host host = { .mem = flat_memory_accessor(&flat) };
	for (int i = 0; i < vm->n_devices; i++) {
		const struct device_config *d = &vm->devices[i];
		char err[160];
		if (!mmio_transport_create(&transport, d->model, d->options, &host, err, sizeof(err))) {
			fprintf(stderr, "%s:%d: device %s: %s\n", config, d->line, d->model, err);
			return -1;
		}
		vdev_destroy(&transport.dev);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int arg = 1;
	if (argc == 2 && strcmp(argv[1], "--faults") == 0) {
		for (int i = 0; i < FAULT_COUNT; i++)
			printf("%-40s %s\n", fault_switches[i].name, fault_switches[i].breaks);
		return 0;
	}
	while (arg + 1 < argc && strcmp(argv[arg], "--set") == 0) {
		char *eq = strchr(argv[arg + 1], '=');
		if (!eq || n_defines == MAX_DEFINES)
			return usage();
		*eq = '\0';
		defines[n_defines][0] = argv[arg + 1];
		defines[n_defines++][1] = eq + 1;
		arg += 2;
	}
	if (arg + 1 != argc)
		return usage();
	const char *config = argv[arg];
	FILE *f = fopen(config, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open\n", config);
		return 2;
	}
	static char text[REFHV_CONFIG_MAX];
	size_t n = fread(text, 1, sizeof(text), f);
	int too_big = !feof(f) || n == sizeof(text);
	fclose(f);
	if (too_big) {
		fprintf(stderr, "%s: larger than %d bytes\n", config, REFHV_CONFIG_MAX - 1);
		return 2;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n)) {
		fprintf(stderr, "%s: contains a NUL byte\n", config);
		return 2;
	}
	static struct hv_config cfg;
	char err[200];
	if (config_parse(text, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s:%s\n", config, err + 5);   /* "line N: ..." -> "file:N: ..." */
		return 2;
	}
	int max_pcpu = 0;
	for (int v = 0; v < cfg.n_vms; v++) {
		const struct vm_config *vm = &cfg.vms[v];
		uint64_t size;
		for (int i = 0; i < vm->n_vcpus; i++)
			if (vm->pcpu[i] > max_pcpu)
				max_pcpu = vm->pcpu[i];
		if (check_file(config, vm->image_line, "image", vm->image, &size) || check_devices(config, vm))
			return 2;
		if (vm->image_offset + size > vm->ram_size - VM_DTB_SPACE) {
			fprintf(stderr, "%s:%d: image %s (%llu bytes) does not fit below the DT\n", config,
				vm->image_line, resolve(vm->image), (unsigned long long)size);
			return 2;
		}
		printf("-device\nloader,file=%s,addr=0x%llx,force-raw=on\n", resolve(vm->image),
		       (unsigned long long)(vm->ram_pa + vm->image_offset));
		if (vm->initrd[0]) {
			if (check_file(config, vm->initrd_line, "initrd", vm->initrd, &size))
				return 2;
			if (size > vm->initrd_size) {
				fprintf(stderr, "%s:%d: initrd %s is %llu bytes, more than the %llu the config gives it\n",
					config, vm->initrd_line, resolve(vm->initrd), (unsigned long long)size,
					(unsigned long long)vm->initrd_size);
				return 2;
			}
			printf("-device\nloader,file=%s,addr=0x%llx,force-raw=on\n", resolve(vm->initrd),
			       (unsigned long long)(vm->ram_pa + vm->initrd_offset));
		}
	}
	printf("-device\nloader,file=%s,addr=0x%x,force-raw=on\n", config, REFHV_CONFIG_ADDRESS);
	printf("-smp\n%d\n", max_pcpu + 1);
	return 0;
}
