/* virtio-gpu (2D): modern device, DRM card with a connected output and the configured mode, EDID, and a dumb buffer scanned out and seen by the host. */
#define AVPS_SUITE "virtio.gpu"
#include "avps_kselftest.h"
#include "drm_display.h"
#include "host_request.h"
#include "kernel_cmdline.h"
#include "platform_offers.h"
#include "virtio_sysfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEVICE_WHAT "virtio-gpu device (ID 16)"
#define VIRTIO_GPU_F_EDID 1
#define SCREEN_TIMEOUT_MS 20000

AVPS_TEST(device_present,
	  AVPS_CHECKS("the virtio gpu device (ID 16) is bound to a driver and VIRTIO_F_VERSION_1 is among its "
	              "negotiated features (absent: SKIP, or not ok when the platform declares it)"),
	  "AVPS.GPU.1", "AVPS.VIRTIO.1", "VIRTIO-1.2: Reserved Feature Bits #1")
{
	struct virtio_sysfs_device dev;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_GPU, &dev, "gpu", DEVICE_WHAT);
	EXPECT_STREQ("virtio_gpu", dev.driver) TH_LOG("%s bound to '%s'", dev.path, dev.driver);
	EXPECT_TRUE(virtio_sysfs_has_feature(&dev, VIRTIO_F_VERSION_1))
		TH_LOG("VIRTIO_F_VERSION_1 not negotiated (legacy device?), features=%s", dev.features);
}

AVPS_TEST(drm_card_present,
	  AVPS_CHECKS("/dev/dri/card0 exists and is driven by virtio_gpu"),
	  "AVPS.GPU.1")
{
	struct virtio_sysfs_device dev;
	char name[64] = "";
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_GPU, &dev, "gpu", DEVICE_WHAT);
	int fd = drm_open_card();
	ASSERT_GE(fd, 0) TH_LOG("open /dev/dri/card0: %s", strerror(errno));
	EXPECT_TRUE(drm_driver_name(fd, name, sizeof(name))) TH_LOG("DRM_IOCTL_VERSION: %s", strerror(errno));
	EXPECT_STREQ("virtio_gpu", name) TH_LOG("/dev/dri/card0 is driven by '%s'", name);
	close(fd);
}

AVPS_TEST(connector_with_configured_mode,
	  AVPS_CHECKS("the first connector lists modes, has a CRTC, and its preferred mode is the display size the "
	              "host configured"),
	  "AVPS.GPU.1")
{
	struct virtio_sysfs_device dev;
	struct drm_output output;
	char err[160];
	unsigned long long width = 0, height = 0;
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_GPU, &dev, "gpu", DEVICE_WHAT);
	int fd = drm_open_card();
	ASSERT_GE(fd, 0) TH_LOG("open /dev/dri/card0: %s", strerror(errno));
	ASSERT_TRUE(drm_first_output(fd, &output, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_LT(0U, output.mode_count) TH_LOG("connector %u lists no modes", output.connector_id);
	EXPECT_NE(0U, output.crtc_id) TH_LOG("no CRTC can drive connector %u", output.connector_id);
	/* The display size the host configured must be the preferred mode (GET_DISPLAY_INFO). */
	if (avps_param_u64("gpu_width", &width) && avps_param_u64("gpu_height", &height))
		EXPECT_TRUE(output.preferred.hdisplay == width && output.preferred.vdisplay == height)
			TH_LOG("host configured %llux%llu, preferred mode is %ux%u", width, height,
			       output.preferred.hdisplay, output.preferred.vdisplay);
	close(fd);
}

/* EDID 1.x base block: fixed header and a zero byte sum. */
static bool edid_valid(const uint8_t *edid, size_t len)
{
	static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	uint8_t sum = 0;
	if (len < 128 || memcmp(edid, header, sizeof(header)) != 0)
		return false;
	for (int i = 0; i < 128; i++)
		sum = (uint8_t)(sum + edid[i]);
	return sum == 0;
}

AVPS_TEST(edid_offered,
	  AVPS_CHECKS("with EDID negotiated (or declared), the connector carries an EDID blob with a valid header and "
	              "checksum"),
	  "AVPS.GPU.1")
{
	struct virtio_sysfs_device dev;
	struct drm_output output;
	char err[160], declared[8] = "";
	uint8_t edid[1024];
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_GPU, &dev, "gpu", DEVICE_WHAT);
	if (!virtio_sysfs_has_feature(&dev, VIRTIO_GPU_F_EDID)) {
		ASSERT_FALSE(avps_param("gpu_edid", declared, sizeof(declared)) && strcmp(declared, "1") == 0)
			TH_LOG("platform declares EDID (avps.gpu_edid=1) but VIRTIO_GPU_F_EDID is not negotiated: "
			       "features=%s", dev.features);
		SKIP(return, "device does not offer VIRTIO_GPU_F_EDID");
	}
	int fd = drm_open_card();
	ASSERT_GE(fd, 0) TH_LOG("open /dev/dri/card0: %s", strerror(errno));
	ASSERT_TRUE(drm_first_output(fd, &output, err, sizeof(err))) TH_LOG("%s", err);
	size_t len = drm_connector_edid(fd, output.connector_id, edid, sizeof(edid));
	close(fd);
	ASSERT_LE(128U, len) TH_LOG("EDID negotiated but connector %u has no EDID blob (%zu bytes)",
				    output.connector_id, len);
	EXPECT_TRUE(edid_valid(edid, len)) TH_LOG("EDID blob (%zu bytes) has a bad header or checksum", len);
}

AVPS_TEST(dumb_buffer_scanned_out,
	  AVPS_CHECKS("a full-screen dumb buffer in a per-run colour is scanned out and the host's screen dump shows "
	              "that colour at the centre"),
	  "AVPS.GPU.1")
{
	struct virtio_sysfs_device dev;
	struct drm_output output;
	struct drm_dumb_framebuffer fb;
	char err[160], request[96], reply[160] = "", expected_size[32], expected_rgb[8], seen_size[32] = "", seen_rgb[16] = "";
	REQUIRE_CONDITIONAL_DEVICE(VIRTIO_ID_GPU, &dev, "gpu", DEVICE_WHAT);
	int fd = drm_open_card();
	ASSERT_GE(fd, 0) TH_LOG("open /dev/dri/card0: %s", strerror(errno));
	ASSERT_TRUE(drm_first_output(fd, &output, err, sizeof(err))) TH_LOG("%s", err);
	unsigned width = output.preferred.hdisplay, height = output.preferred.vdisplay;
	ASSERT_TRUE(drm_dumb_create(fd, width, height, &fb, err, sizeof(err))) TH_LOG("%s", err);
	/* A per-run colour, every channel in 0x40..0xbf: no default screen content can match it. */
	unsigned long nonce = host_request_nonce();
	uint32_t colour = 0x404040u | (uint32_t)(nonce & 0x3f3f3fu) | 0x808080u;
	colour &= 0xbfbfbfu;
	for (unsigned y = 0; y < height; y++)
		for (unsigned x = 0; x < width; x++)
			fb.pixels[y * (fb.pitch / 4) + x] = colour;
	unsigned mismatches = 0;
	for (unsigned y = 0; y < height; y += 37)
		mismatches += fb.pixels[y * (fb.pitch / 4) + y % width] != colour;
	EXPECT_EQ(0U, mismatches) TH_LOG("the dumb buffer mapping did not keep what was written");
	bool scanned = drm_scan_out(fd, &output, &fb, err, sizeof(err));
	EXPECT_TRUE(scanned) TH_LOG("%s", err);
	/* The host dumps the screen and reports the centre pixel; retry while the flush lands. */
	snprintf(expected_size, sizeof(expected_size), "%ux%u", width, height);
	snprintf(expected_rgb, sizeof(expected_rgb), "%06x", colour);
	bool matched = false;
	for (int attempt = 0; scanned && attempt < 5 && !matched; attempt++) {
		snprintf(request, sizeof(request), "AVPS-SCREEN %lx %u %u", nonce + (unsigned)attempt, width / 2,
			 height / 2);
		if (!host_request(request, "AVPS-SCREEN-REPLY", reply, sizeof(reply), SCREEN_TIMEOUT_MS))
			break;
		seen_size[0] = seen_rgb[0] = '\0';
		sscanf(reply, "AVPS-SCREEN-REPLY %*s %31s %15s", seen_size, seen_rgb);
		matched = strcmp(seen_size, expected_size) == 0 && strcmp(seen_rgb, expected_rgb) == 0;
		if (!matched)
			usleep(300 * 1000);
	}
	drm_dumb_destroy(fd, &fb);
	close(fd);
	EXPECT_TRUE(matched) TH_LOG("host screen: expected %s with centre pixel %s, host answered '%s'", expected_size,
				    expected_rgb, reply);
}

TEST_HARNESS_MAIN
