/* Requirement-ID strings for the virtio-mmio probe cases (labels as in virtio-statements.tsv, device side). */
#ifndef PROBE_VIRTIO_STATEMENTS_H
#define PROBE_VIRTIO_STATEMENTS_H

#define MMIO_LAYOUT(n) \
	"VIRTIO-1.2: Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout #" #n
#define FEATURE_BITS(n) "VIRTIO-1.2: Basic Facilities of a Virtio Device / Feature Bits #" #n
#define DEVICE_RESET(n) "VIRTIO-1.2: Basic Facilities of a Virtio Device / Device Reset #" #n
#define CONFIG_SPACE(n) \
	"VIRTIO-1.2: Basic Facilities of a Virtio Device / Device Configuration Space #" #n
#define USED_RING(n) \
	"VIRTIO-1.2: Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Used Ring #" #n
#define RESERVED_FEATURES(n) "VIRTIO-1.2: Reserved Feature Bits #" #n
#define BLK_OPERATION(n) "VIRTIO-1.2: Device Types / Block Device / Device Operation #" #n
#define ENTROPY_OPERATION(n) "VIRTIO-1.2: Device Types / Entropy Device / Device Operation #" #n

#define BF "VIRTIO-1.2: Basic Facilities of a Virtio Device / "
#define DEVICE_STATUS(n) BF "Device Status Field #" #n
#define VQ_DESC_TABLE(n) BF "Virtqueues / The Virtqueue Descriptor Table #" #n
#define VQ_INDIRECT(n) BF "Virtqueues / The Virtqueue Descriptor Table / Indirect Descriptors #" #n
#define VQ_USED_NOTIF(n) BF "Virtqueues / Used Buffer Notification Suppression #" #n
#define VQ_AVAIL_NOTIF(n) BF "Virtqueues / Available Buffer Notification Suppression #" #n
#define VQ_RESET(n) BF "Virtqueues / Virtqueue Reset / Virtqueue Reset #" #n
#define VQ_REENABLE(n) BF "Virtqueues / Virtqueue Reset / Virtqueue Re-enable #" #n
#define MESSAGE_FRAMING(n) BF "Message Framing #" #n
#define DT "VIRTIO-1.2: Device Types / "
#define BLK_INIT(n) DT "Block Device / Device Initialization #" #n
#define NET_CONFIG(n) DT "Network Device / Device configuration layout #" #n
#define INPUT_INIT(n) DT "Input Device / Device Initialization #" #n
#define GPU_INIT(n) DT "GPU Device / Device Initialization #" #n
#define CRYPTO_CONFIG(n) DT "Crypto Device / Device configuration layout #" #n
#define SCSI_CONFIG(n) DT "SCSI Host Device / Device configuration layout #" #n
#define SCSI_REQUESTQ(n) DT "SCSI Host Device / Device Operation / Device Operation: Request Queues #" #n

#define CRYPTO_CREATE(n) DT "Crypto Device / Device Operation / Control Virtqueue / Session operation / Session operation: create session #" #n
#define CRYPTO_DESTROY(n) DT "Crypto Device / Device Operation / Control Virtqueue / Session operation / Session operation: destroy session #" #n
#define CRYPTO_SYM(n) DT "Crypto Device / Device Operation / Symmetric algorithms Operation #" #n

#define NET_OP(n) DT "Network Device / Device Operation / " n

#endif
