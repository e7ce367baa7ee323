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

#endif
