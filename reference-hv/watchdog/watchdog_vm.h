/* A VM's SBSA Generic Watchdog at EL2: its two frames on stage-2 data aborts, its WS0 SPI, WS1 as a VM reset. */
#ifndef REFHV_WATCHDOG_VM_H
#define REFHV_WATCHDOG_VM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* Sets the VM's watchdog up from its `watchdog` line (if any), disabled. */
void watchdog_vm_create(struct vm *vm);

/* True when ipa falls in the VM's control or refresh frame. */
bool watchdog_vm_claim(const struct vm *vm, uint64_t ipa);

/* A guest access to a frame (reads fill *value); a WS1 it causes resets the VM and does not return. */
void watchdog_vm_access(struct vcpu *v, uint64_t ipa, unsigned size, bool write, uint64_t *value);

/* Time passed (a physical interrupt while the VM ran, among them refhv's EL2 timer, which every access and tick
 * arms for the next timeout): timeouts that came due; WS1 resets the VM (no return). */
void watchdog_vm_tick(struct vcpu *v);

/* Arms this physical CPU's EL2 timer for the VM's next watchdog timeout or its budget end, whichever comes first:
 * called whenever a vCPU enters the guest (boot, CPU_ON, power-down wake, restart), so entering never drops a
 * timeout armed before. */
void watchdog_vm_arm_timer(struct vcpu *v);

/* Back to power-on state (SYSTEM_RESET, or the watchdog's own reset). */
void watchdog_vm_reset(struct vm *vm);

#endif
