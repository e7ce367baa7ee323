/* VM queries shared by the hypervisor and the host unit tests: vCPU by MPIDR, RAM bounds. */
#include <stddef.h>

#include "arch_mpidr.h"
#include "vm.h"

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	for (int i = 0; i < vm->n_vcpus; i++)
		if (vm->vcpus[i].mpidr == (mpidr & MPIDR_AFFINITY_MASK))
			return &vm->vcpus[i];
	return NULL;
}

bool vm_ipa_in_ram(const struct vm *vm, uint64_t ipa, uint64_t size)
{
	const struct vm_config *c = vm->cfg;
	return ipa >= c->ram_ipa && size <= c->ram_size && ipa - c->ram_ipa <= c->ram_size - size;
}
