/* Thin wrappers over the kernel's DRM/KMS ioctls (no libdrm) for display tests: connector, modes, EDID, dumb buffers, mode set. */
#ifndef AVPS_DRM_DISPLAY_H
#define AVPS_DRM_DISPLAY_H

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct drm_output {
	uint32_t connector_id;
	uint32_t connection;      /* 1 connected, 2 disconnected, 3 unknown */
	uint32_t crtc_id;         /* a CRTC the connector can drive, 0 if none */
	unsigned mode_count;
	struct drm_mode_modeinfo preferred; /* DRM_MODE_TYPE_PREFERRED, else the first mode */
};

struct drm_dumb_framebuffer {
	uint32_t handle, fb_id, pitch, width, height;
	uint64_t size;
	uint32_t *pixels; /* mmap of the dumb buffer, XRGB8888 */
};

/* Opens /dev/dri/card0 (creating the node from sysfs when missing); -1 with errno set. */
int drm_open_card(void);
/* Driver name from DRM_IOCTL_VERSION into name; false on error. */
bool drm_driver_name(int fd, char *name, size_t size);
/* First connected connector (or the first connector) with its modes and a usable CRTC. */
bool drm_first_output(int fd, struct drm_output *out, char *err, size_t err_size);
/* Copies the connector's EDID property blob into edid; returns its length, 0 when absent. */
size_t drm_connector_edid(int fd, uint32_t connector_id, uint8_t *edid, size_t size);
/* Creates a width x height XRGB8888 dumb buffer, adds it as a framebuffer and maps it. */
bool drm_dumb_create(int fd, uint32_t width, uint32_t height, struct drm_dumb_framebuffer *fb, char *err,
		     size_t err_size);
/* Scans fb out on the output's CRTC with the preferred mode, then flushes it (DIRTYFB). */
bool drm_scan_out(int fd, const struct drm_output *output, const struct drm_dumb_framebuffer *fb, char *err,
		  size_t err_size);
void drm_dumb_destroy(int fd, struct drm_dumb_framebuffer *fb);

#endif
