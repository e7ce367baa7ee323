/* Which conditional AVPS features the platform declares (avps.offers_<feature>=1): a declared feature with no device is a failure, not a skip. */
#ifndef AVPS_PLATFORM_OFFERS_H
#define AVPS_PLATFORM_OFFERS_H

#include <stdbool.h>

/* True when word is one of the comma-separated items of list. */
bool avps_list_has(const char *list, const char *word);
/* True when the kernel command line has avps.offers_<feature>=1 (e.g. avps.offers_audio=1). One
 * key per feature, so each device entry of a platform profile declares its own. */
bool avps_platform_offers(const char *feature);

/*
 * In a test body: finds the first device of a conditional VIRTIO type into *dev. When it
 * is absent, the case SKIPs with the reason, unless the platform declared the feature,
 * then it fails. what: "virtio-sound device (ID 25)"; feature: "audio".
 */
#define REQUIRE_CONDITIONAL_DEVICE(id, dev, feature, what)                                   \
	do {                                                                                 \
		if (virtio_sysfs_find((id), (dev), 1) < 1) {                                 \
			ASSERT_FALSE(avps_platform_offers(feature))                          \
				TH_LOG("platform declares '%s' (avps.offers_%s=1) but has no %s", \
				       feature, feature, what);                                       \
			SKIP(return, "no %s: conditional on the platform offering %s", what, \
			     feature);                                                       \
		}                                                                            \
	} while (0)

#endif
