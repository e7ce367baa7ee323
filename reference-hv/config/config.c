/* Config parser: one statement per line (vm, cpus, ram, image, initrd, bootargs, budget, fault, device, watchdog), errors name the line. */
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "faults.h"
#include "text_format.h"

struct cursor {
	const char *p, *end;   /* the rest of the current line */
	int line;
	char *err;
	unsigned err_size;
};

static int fail(struct cursor *c, int line, const char *what, const char *detail)
{
	text_format(c->err, c->err_size, "line %d: %s%s%s", line, what, detail ? ": " : "",
		    detail ? detail : "");
	return -1;
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Next blank-separated word; false at end of line. */
static bool next_word(struct cursor *c, const char **word, unsigned *len)
{
	skip_blanks(c);
	if (c->p >= c->end)
		return false;
	*word = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	*len = (unsigned)(c->p - *word);
	return true;
}

/* A bounded, NUL-terminated copy of a word, for messages. */
static void word_copy(char *dst, unsigned size, const char *word, unsigned len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, word, len);
	dst[len] = '\0';
}

static bool word_is(const char *word, unsigned len, const char *keyword)
{
	return strlen(keyword) == len && memcmp(word, keyword, len) == 0;
}

/* Decimal or 0x hex, with an optional K/M/G suffix (binary units). */
static bool parse_number(const char *word, unsigned len, uint64_t *value)
{
	uint64_t v = 0, base = 10, shift = 0;
	unsigned i = 0;

	if (len == 0)
		return false;
	if (word[len - 1] == 'K' || word[len - 1] == 'M' || word[len - 1] == 'G') {
		shift = word[len - 1] == 'K' ? 10 : word[len - 1] == 'M' ? 20 : 30;
		len--;
	}
	if (len > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i >= len)
		return false;
	for (; i < len; i++) {
		char ch = word[i];
		uint64_t digit;
		if (ch >= '0' && ch <= '9')
			digit = (uint64_t)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			digit = (uint64_t)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			digit = (uint64_t)(ch - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - digit) / base)
			return false;
		v = v * base + digit;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*value = v << shift;
	return true;
}

static int expect_number(struct cursor *c, const char *what, uint64_t *value)
{
	const char *w;
	unsigned len;
	if (!next_word(c, &w, &len))
		return fail(c, c->line, "missing number", what);
	if (!parse_number(w, len, value))
		return fail(c, c->line, "not a number (decimal, 0x hex, K/M/G suffix)", what);
	return 0;
}

static int expect_end(struct cursor *c)
{
	const char *w;
	unsigned len;
	if (next_word(c, &w, &len))
		return fail(c, c->line, "unexpected extra words", NULL);
	return 0;
}

static int copy_word(struct cursor *c, char *dst, unsigned size, const char *what)
{
	const char *w;
	unsigned len;
	if (!next_word(c, &w, &len))
		return fail(c, c->line, "missing", what);
	if (len >= size)
		return fail(c, c->line, "too long", what);
	memcpy(dst, w, len);
	dst[len] = '\0';
	return 0;
}

static int parse_cpus(struct cursor *c, struct hv_config *cfg, struct vm_config *vm)
{
	const char *w;
	unsigned len;
	uint64_t p;

	if (vm->n_vcpus)
		return fail(c, c->line, "cpus given twice for this vm", NULL);
	vm->cpus_line = c->line;
	while (next_word(c, &w, &len)) {
		if (!parse_number(w, len, &p) || p >= REFHV_MAX_PCPUS)
			return fail(c, c->line, "physical CPU must be a number below 8", NULL);
		if (vm->n_vcpus == CONFIG_MAX_VCPUS)
			return fail(c, c->line, "too many vCPUs (at most 8)", NULL);
		for (int v = 0; v <= cfg->n_vms - 1; v++) {
			const struct vm_config *o = &cfg->vms[v];
			for (int i = 0; i < o->n_vcpus; i++) {
				if (o->pcpu[i] == (int)p) {
					char detail[64];
					text_format(detail, sizeof(detail), "CPU %d already runs vCPU %d of vm %s (line %d)",
						    (int)p, i, o->name, o->cpus_line);
					return fail(c, c->line, "physical CPU given twice", detail);
				}
			}
		}
		vm->pcpu[vm->n_vcpus++] = (int)p;
	}
	if (!vm->n_vcpus)
		return fail(c, c->line, "cpus needs at least one physical CPU", NULL);
	return 0;
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

static int parse_ram(struct cursor *c, struct hv_config *cfg, struct vm_config *vm)
{
	if (vm->ram_size)
		return fail(c, c->line, "ram given twice for this vm", NULL);
	vm->ram_line = c->line;
	if (expect_number(c, "guest-physical base", &vm->ram_ipa) ||
	    expect_number(c, "size", &vm->ram_size) ||
	    expect_number(c, "physical base", &vm->ram_pa) || expect_end(c))
		return -1;
	if ((vm->ram_ipa | vm->ram_pa | vm->ram_size) & 0x1fffff)
		return fail(c, c->line, "ram bases and size must be multiples of 2 MiB", NULL);
	if (vm->ram_size < 2 * VM_DTB_SPACE)
		return fail(c, c->line, "ram must be at least 4 MiB", NULL);
	if (vm->ram_ipa + vm->ram_size > (1ULL << 39) || vm->ram_pa + vm->ram_size > (1ULL << 40))
		return fail(c, c->line, "ram beyond the 39-bit guest / 40-bit physical address space", NULL);
	if (overlaps(vm->ram_ipa, vm->ram_size, VM_UART_IPA, VM_UART_SIZE))
		return fail(c, c->line, "guest RAM overlaps the emulated UART at 0x09000000", NULL);
	if (overlaps(vm->ram_ipa, vm->ram_size, VM_VIRTIO_MMIO_IPA, VM_VIRTIO_MMIO_SIZE * CONFIG_MAX_DEVICES))
		return fail(c, c->line, "guest RAM overlaps the virtio-mmio transports at 0x0a000000", NULL);
	if (overlaps(vm->ram_ipa, vm->ram_size, VM_VIRTIO_SHM_IPA, VM_VIRTIO_SHM_STRIDE * CONFIG_MAX_DEVICES))
		return fail(c, c->line, "guest RAM overlaps the virtio-mmio shared memory windows at 0x0c000000", NULL);
	if (overlaps(vm->ram_pa, vm->ram_size, REFHV_OWN_BASE, REFHV_OWN_SIZE))
		return fail(c, c->line, "physical RAM overlaps the hypervisor's own 0x40000000..0x44000000", NULL);
	for (int v = 0; v < cfg->n_vms - 1; v++) {
		const struct vm_config *o = &cfg->vms[v];
		if (o->ram_size && overlaps(vm->ram_pa, vm->ram_size, o->ram_pa, o->ram_size)) {
			char detail[64];
			text_format(detail, sizeof(detail), "vm %s (line %d)", o->name, o->ram_line);
			return fail(c, c->line, "physical RAM overlaps the RAM of", detail);
		}
	}
	return 0;
}

static int parse_file(struct cursor *c, struct vm_config *vm, bool initrd)
{
	char *path = initrd ? vm->initrd : vm->image;
	uint64_t *offset = initrd ? &vm->initrd_offset : &vm->image_offset;

	if (path[0])
		return fail(c, c->line, initrd ? "initrd given twice" : "image given twice", NULL);
	*(initrd ? &vm->initrd_line : &vm->image_line) = c->line;
	if (copy_word(c, path, CONFIG_PATH_MAX, "file") || expect_number(c, "offset in RAM", offset))
		return -1;
	if (initrd && expect_number(c, "size", &vm->initrd_size))
		return -1;
	if (expect_end(c))
		return -1;
	if (*offset & 0xfff)
		return fail(c, c->line, "offset must be a multiple of 4 KiB", NULL);
	return 0;
}

/* `device <model> [<options>]`: the model and its options are checked where the models are
 * linked (refhv-config on the host, vm_create at boot); here only the form. */
static int parse_device(struct cursor *c, struct vm_config *vm)
{
	if (vm->n_devices == CONFIG_MAX_DEVICES)
		return fail(c, c->line, "too many devices for this vm (at most 8)", NULL);
	struct device_config *d = &vm->devices[vm->n_devices];
	memset(d, 0, sizeof(*d));
	d->line = c->line;
	if (copy_word(c, d->model, sizeof(d->model), "device model"))
		return -1;
	const char *w;
	unsigned len;
	if (next_word(c, &w, &len)) {
		if (len >= sizeof(d->options))
			return fail(c, c->line, "too long", "device options");
		memcpy(d->options, w, len);
		d->options[len] = '\0';
	}
	if (expect_end(c))
		return -1;
	vm->n_devices++;
	return 0;
}

/* `watchdog spi=N`: one SBSA generic watchdog; its SPI is free of the UART's (1) and the transports' (16..23). */
static int parse_watchdog(struct cursor *c, struct vm_config *vm)
{
	const char *w;
	unsigned len;
	uint64_t spi;
	if (vm->has_watchdog)
		return fail(c, c->line, "a second `watchdog` (one per VM)", NULL);
	if (!next_word(c, &w, &len) || len < 5 || memcmp(w, "spi=", 4) != 0)
		return fail(c, c->line, "watchdog needs spi=N", NULL);
	if (!parse_number(w + 4, len - 4, &spi))
		return fail(c, c->line, "not a number (decimal, 0x hex, K/M/G suffix)", "watchdog spi");
	if (spi > 31 || spi == 1 || (spi >= VM_VIRTIO_MMIO_FIRST_SPI && spi < VM_VIRTIO_MMIO_FIRST_SPI + CONFIG_MAX_DEVICES))
		return fail(c, c->line, "watchdog spi must be 0..31, not 1 (UART) nor 16..23 (virtio-mmio)", NULL);
	vm->has_watchdog = true;
	vm->watchdog_spi = (unsigned)spi;
	vm->watchdog_line = c->line;
	return expect_end(c);
}

static int parse_statement(struct cursor *c, struct hv_config *cfg)
{
	const char *w;
	unsigned len;
	struct vm_config *vm = cfg->n_vms ? &cfg->vms[cfg->n_vms - 1] : NULL;

	if (!next_word(c, &w, &len) || w[0] == '#')
		return 0;
	if (word_is(w, len, "vm")) {
		if (cfg->n_vms == CONFIG_MAX_VMS)
			return fail(c, c->line, "too many VMs (at most 4)", NULL);
		vm = &cfg->vms[cfg->n_vms++];
		memset(vm, 0, sizeof(*vm));
		vm->line = c->line;
		if (copy_word(c, vm->name, CONFIG_NAME_MAX, "vm name") || expect_end(c))
			return -1;
		for (int v = 0; v < cfg->n_vms - 1; v++)
			if (strcmp(cfg->vms[v].name, vm->name) == 0)
				return fail(c, c->line, "vm name used twice", vm->name);
		return 0;
	}
	if (!vm)
		return fail(c, c->line, "statement before the first `vm`", NULL);
	if (word_is(w, len, "cpus"))
		return parse_cpus(c, cfg, vm);
	if (word_is(w, len, "ram"))
		return parse_ram(c, cfg, vm);
	if (word_is(w, len, "image"))
		return parse_file(c, vm, false);
	if (word_is(w, len, "initrd"))
		return parse_file(c, vm, true);
	if (word_is(w, len, "bootargs")) {
		skip_blanks(c);
		unsigned n = (unsigned)(c->end - c->p);
		if (n >= CONFIG_BOOTARGS_MAX)
			return fail(c, c->line, "bootargs too long", NULL);
		memcpy(vm->bootargs, c->p, n);
		vm->bootargs[n] = '\0';
		return 0;
	}
	if (word_is(w, len, "budget")) {
		if (expect_number(c, "seconds", &vm->budget_s) || expect_end(c))
			return -1;
		if (vm->budget_s == 0 || vm->budget_s > 86400)
			return fail(c, c->line, "budget must be 1..86400 seconds", NULL);
		return 0;
	}
	if (word_is(w, len, "device"))
		return parse_device(c, vm);
	if (word_is(w, len, "watchdog"))
		return parse_watchdog(c, vm);
	if (word_is(w, len, "resets")) {
		uint64_t limit;
		if (expect_number(c, "count", &limit) || expect_end(c))
			return -1;
		if (limit == 0 || limit > 1000000)
			return fail(c, c->line, "resets must be 1..1000000", NULL);
		vm->reset_limit = (unsigned)limit;
		return 0;
	}
	if (word_is(w, len, "fault")) {
		if (!next_word(c, &w, &len))
			return fail(c, c->line, "fault needs a name", NULL);
		int id = fault_by_name(w, len);
		if (id < 0) {
			char name[40];
			word_copy(name, sizeof(name), w, len);
			return fail(c, c->line, "unknown fault switch", name);
		}
		fault_set_add(&vm->faults, (enum fault_id)id);
		return expect_end(c);
	}
	char word[24];
	word_copy(word, sizeof(word), w, len);
	return fail(c, c->line, "unknown statement", word);
}

/* What every VM needs once the whole file is read. */
static int check_complete(struct cursor *c, const struct hv_config *cfg)
{
	if (!cfg->n_vms)
		return fail(c, c->line, "no vm defined", NULL);
	for (int v = 0; v < cfg->n_vms; v++) {
		const struct vm_config *vm = &cfg->vms[v];
		if (!vm->n_vcpus)
			return fail(c, vm->line, "vm has no `cpus`", vm->name);
		if (!vm->ram_size)
			return fail(c, vm->line, "vm has no `ram`", vm->name);
		if (!vm->image[0])
			return fail(c, vm->line, "vm has no `image`", vm->name);
		if (vm->image_offset >= vm->ram_size - VM_DTB_SPACE)
			return fail(c, vm->image_line, "image offset beyond RAM (the last 2 MiB hold the DT)", NULL);
		if (vm->initrd[0] && (vm->initrd_offset + vm->initrd_size > vm->ram_size - VM_DTB_SPACE ||
				      vm->initrd_offset < vm->image_offset))
			return fail(c, vm->initrd_line, "initrd must lie after the image and before the DT", NULL);
	}
	return 0;
}

int config_parse(const char *text, struct hv_config *cfg, char *err, unsigned err_size)
{
	struct cursor c = { .p = text, .line = 0, .err = err, .err_size = err_size };
	const char *line = text;

	memset(cfg, 0, sizeof(*cfg));
	if (err_size)
		err[0] = '\0';
	while (*line) {
		const char *eol = line;
		while (*eol && *eol != '\n')
			eol++;
		c.line++;
		c.p = line;
		c.end = eol;
		if (c.end > c.p && c.end[-1] == '\r')
			c.end--;
		/* A # starts a comment anywhere on the line (paths and names never hold one). */
		const char *hash = memchr(c.p, '#', (size_t)(c.end - c.p));
		if (hash)
			c.end = hash;
		if (parse_statement(&c, cfg))
			return -1;
		line = *eol ? eol + 1 : eol;
	}
	c.line++;
	return check_complete(&c, cfg);
}

int config_check_machine(const struct hv_config *cfg, int n_pcpus, uint64_t ram_base,
			 uint64_t ram_size, char *err, unsigned err_size)
{
	for (int v = 0; v < cfg->n_vms; v++) {
		const struct vm_config *vm = &cfg->vms[v];
		for (int i = 0; i < vm->n_vcpus; i++)
			if (vm->pcpu[i] >= n_pcpus) {
				text_format(err, err_size, "line %d: physical CPU %d does not exist (the machine has %d)",
					    vm->cpus_line, vm->pcpu[i], n_pcpus);
				return -1;
			}
		if (vm->ram_pa < ram_base || vm->ram_pa + vm->ram_size > ram_base + ram_size) {
			text_format(err, err_size, "line %d: physical RAM 0x%llx..0x%llx is outside the machine's "
				    "0x%llx..0x%llx", vm->ram_line, (unsigned long long)vm->ram_pa,
				    (unsigned long long)(vm->ram_pa + vm->ram_size), (unsigned long long)ram_base,
				    (unsigned long long)(ram_base + ram_size));
			return -1;
		}
	}
	return 0;
}
