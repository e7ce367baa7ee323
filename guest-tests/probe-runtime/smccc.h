/* SMCCC/PSCI layer of the probe runtime: calls through the conduit the DT names; depends on dt.h. */
#ifndef PROBE_SMCCC_H
#define PROBE_SMCCC_H

#include <stdint.h>

enum smccc_conduit { SMCCC_CONDUIT_NONE, SMCCC_CONDUIT_HVC, SMCCC_CONDUIT_SMC };
extern enum smccc_conduit smccc_conduit;
/* Reads /psci "method"; returns the conduit (NONE if absent or unknown). */
enum smccc_conduit smccc_init_from_dt(void);
const char *smccc_conduit_name(void);
/* SMCCC call through the DT conduit: returns w0 sign-extended to 64 bits (PSCI/SMCCC int32 results). */
int64_t smccc_call(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
/* The same call returning the whole x0 (SMC64 results, checking the upper half);
 * NOT_SUPPORTED (-1) when the DT names no conduit. */
uint64_t smccc_call_raw(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

#define PSCI_FN_VERSION             0x84000000u
#define PSCI_FN_CPU_SUSPEND64       0xc4000001u
#define PSCI_FN_CPU_OFF             0x84000002u
#define PSCI_FN_CPU_ON64            0xc4000003u
#define PSCI_FN_AFFINITY_INFO64     0xc4000004u
#define PSCI_FN_MIGRATE_INFO_TYPE   0x84000006u
#define PSCI_FN_SYSTEM_OFF          0x84000008u
#define PSCI_FN_SYSTEM_RESET        0x84000009u
#define PSCI_FN_FEATURES            0x8400000au
#define PSCI_FN_SYSTEM_SUSPEND64    0xc400000eu
#define PSCI_FN_SYSTEM_RESET2_64    0xc4000012u

#define PSCI_SUCCESS             0
#define PSCI_NOT_SUPPORTED      -1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_DENIED             -3
#define PSCI_ALREADY_ON         -4
#define PSCI_ON_PENDING         -5
#define PSCI_INTERNAL_FAILURE   -6
#define PSCI_NOT_PRESENT        -7
#define PSCI_DISABLED           -8
#define PSCI_INVALID_ADDRESS    -9

const char *psci_error_name(int64_t ret);

#endif
