/* virtio-balloon: modern device bound to its driver, and the statistics queue the host asked for is negotiated. */
#define AVPS_SUITE "virtio.balloon"
#include "avps_kselftest.h"
#include "kernel_cmdline.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <string.h>

#define DEVICE_WHAT "virtio-balloon device (ID 5)"
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio balloon device (ID 5) is bound to a driver and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features (absent: SKIP, or not ok when the platform declares it)"),
	  "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_BALLOON, &dev, "balloon", DEVICE_WHAT);
	EXPECT_STREQ("virtio_balloon", dev.driver) TH_LOG("%s bound to '%s'", dev.path, dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

/* The platform declares which optional balloon features it configured (avps.balloon_offers=stats,deflate_on_oom). */
AVPS_TEST(declared_features_offered,
	  AVPS_CHECKS("each optional balloon feature the platform declares (avps.balloon_offers) is among the "
	              "negotiated features"),
	  "AVPS.VIRTIO.1")
{
	struct virtio_sysfs_device dev;
	char list[64];
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_BALLOON, &dev, "balloon", DEVICE_WHAT);
	if (!avps_param("balloon_offers", list, sizeof(list)))
		SKIP(return, "platform declares no optional balloon features (avps.balloon_offers not given)");
	if (avps_list_has(list, "stats"))
		EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BALLOON_F_STATS_VQ))
			TH_LOG("declared stats but VIRTIO_BALLOON_F_STATS_VQ not negotiated: features=%s", dev.features);
	if (avps_list_has(list, "deflate_on_oom"))
		EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM))
			TH_LOG("declared deflate_on_oom but VIRTIO_BALLOON_F_DEFLATE_ON_OOM not negotiated: features=%s",
			       dev.features);
}

TEST_HARNESS_MAIN
