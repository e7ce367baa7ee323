/* Thin wrappers over the kernel's DRM/KMS ioctls (no libdrm) for display tests. */
#include "drm_display.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int drm_ioctl(int fd, unsigned long request, void *arg)
{
	int rc;
	do
		rc = ioctl(fd, request, arg);
	while (rc < 0 && (errno == EINTR || errno == EAGAIN));
	return rc;
}

int drm_open_card(void)
{
	int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	FILE *f = fopen("/sys/class/drm/card0/dev", "r");
	unsigned major_no, minor_no;
	if (!f)
		return -1;
	int fields = fscanf(f, "%u:%u", &major_no, &minor_no);
	fclose(f);
	if (fields != 2)
		return -1;
	mkdir("/dev/dri", 0755);
	mknod("/dev/dri/card0", S_IFCHR | 0600, makedev(major_no, minor_no));
	return open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
}

bool drm_driver_name(int fd, char *name, size_t size)
{
	struct drm_version v;
	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = size - 1;
	if (drm_ioctl(fd, DRM_IOCTL_VERSION, &v) < 0)
		return false;
	name[v.name_len < size ? v.name_len : size - 1] = '\0';
	return true;
}

/* GETRESOURCES twice: counts, then the arrays (callers free *connectors and *crtcs). */
static bool get_resources(int fd, uint32_t **connectors, unsigned *n_connectors, uint32_t **crtcs, unsigned *n_crtcs)
{
	struct drm_mode_card_res res;
	memset(&res, 0, sizeof(res));
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
		return false;
	*connectors = calloc(res.count_connectors + 1, sizeof(uint32_t));
	*crtcs = calloc(res.count_crtcs + 1, sizeof(uint32_t));
	struct drm_mode_card_res again = { .connector_id_ptr = (uintptr_t)*connectors,
					   .crtc_id_ptr = (uintptr_t)*crtcs,
					   .count_connectors = res.count_connectors,
					   .count_crtcs = res.count_crtcs };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &again) < 0)
		return false;
	*n_connectors = again.count_connectors < res.count_connectors ? again.count_connectors : res.count_connectors;
	*n_crtcs = again.count_crtcs < res.count_crtcs ? again.count_crtcs : res.count_crtcs;
	return true;
}

/* The CRTC the connector's encoder drives, or the first one it may drive. */
static uint32_t crtc_for(int fd, uint32_t encoder_id, const uint32_t *crtcs, unsigned n_crtcs)
{
	struct drm_mode_get_encoder enc = { .encoder_id = encoder_id };
	if (!encoder_id || drm_ioctl(fd, DRM_IOCTL_MODE_GETENCODER, &enc) < 0)
		return n_crtcs ? crtcs[0] : 0;
	if (enc.crtc_id)
		return enc.crtc_id;
	for (unsigned i = 0; i < n_crtcs; i++)
		if (enc.possible_crtcs & (1u << i))
			return crtcs[i];
	return 0;
}

/* Fills out from one connector; modes are fetched into a temporary array. */
static bool read_connector(int fd, uint32_t connector_id, struct drm_output *out)
{
	struct drm_mode_get_connector c = { .connector_id = connector_id };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0) /* also probes the modes */
		return false;
	unsigned n_modes = c.count_modes, n_encoders = c.count_encoders;
	struct drm_mode_modeinfo *modes = calloc(n_modes + 1, sizeof(*modes));
	uint32_t *encoders = calloc(n_encoders + 1, sizeof(uint32_t));
	struct drm_mode_get_connector again = { .connector_id = connector_id, .modes_ptr = (uintptr_t)modes,
						.count_modes = n_modes, .encoders_ptr = (uintptr_t)encoders,
						.count_encoders = n_encoders };
	bool ok = drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &again) == 0;
	if (ok) {
		out->connector_id = connector_id;
		out->connection = again.connection;
		out->mode_count = again.count_modes < n_modes ? again.count_modes : n_modes;
		memset(&out->preferred, 0, sizeof(out->preferred));
		for (unsigned i = 0; i < out->mode_count; i++)
			if (i == 0 || (modes[i].type & DRM_MODE_TYPE_PREFERRED))
				out->preferred = modes[i];
		out->crtc_id = again.encoder_id ? again.encoder_id : (n_encoders ? encoders[0] : 0);
	}
	free(modes);
	free(encoders);
	return ok;
}

bool drm_first_output(int fd, struct drm_output *out, char *err, size_t err_size)
{
	uint32_t *connectors = NULL, *crtcs = NULL;
	unsigned n_connectors = 0, n_crtcs = 0;
	bool found = false;
	if (!get_resources(fd, &connectors, &n_connectors, &crtcs, &n_crtcs)) {
		snprintf(err, err_size, "DRM_IOCTL_MODE_GETRESOURCES: %s", strerror(errno));
	} else if (n_connectors == 0) {
		snprintf(err, err_size, "the DRM device has no connector");
	} else {
		for (unsigned i = 0; i < n_connectors && !found; i++) {
			struct drm_output candidate;
			if (!read_connector(fd, connectors[i], &candidate))
				continue;
			if (candidate.connection == 1 || i == 0) {
				*out = candidate;
				found = candidate.connection == 1;
			}
		}
		out->crtc_id = crtc_for(fd, out->crtc_id, crtcs, n_crtcs); /* crtc_id held the encoder */
		if (!found)
			snprintf(err, err_size, "no connected connector (connector %u status %u)", out->connector_id,
				 out->connection);
	}
	free(connectors);
	free(crtcs);
	return found;
}

size_t drm_connector_edid(int fd, uint32_t connector_id, uint8_t *edid, size_t size)
{
	struct drm_mode_get_connector c = { .connector_id = connector_id };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0 || c.count_props == 0)
		return 0;
	unsigned n = c.count_props;
	uint32_t *props = calloc(n, sizeof(uint32_t));
	uint64_t *values = calloc(n, sizeof(uint64_t));
	struct drm_mode_get_connector again = { .connector_id = connector_id, .props_ptr = (uintptr_t)props,
						.prop_values_ptr = (uintptr_t)values, .count_props = n };
	size_t length = 0;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &again) == 0) {
		for (unsigned i = 0; i < n && i < again.count_props; i++) {
			struct drm_mode_get_property prop = { .prop_id = props[i] };
			if (drm_ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &prop) < 0 || strcmp(prop.name, "EDID") != 0)
				continue;
			if (values[i] == 0)
				break; /* property exists, no blob: no EDID */
			/* The kernel copies the data only when asked for exactly the blob's length. */
			struct drm_mode_get_blob blob = { .blob_id = (uint32_t)values[i] };
			if (drm_ioctl(fd, DRM_IOCTL_MODE_GETPROPBLOB, &blob) < 0 || blob.length > size)
				break;
			blob.data = (uintptr_t)edid;
			if (drm_ioctl(fd, DRM_IOCTL_MODE_GETPROPBLOB, &blob) == 0)
				length = blob.length;
			break;
		}
	}
	free(props);
	free(values);
	return length;
}

bool drm_dumb_create(int fd, uint32_t width, uint32_t height, struct drm_dumb_framebuffer *fb, char *err,
		     size_t err_size)
{
	memset(fb, 0, sizeof(*fb));
	struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = 32 };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
		snprintf(err, err_size, "DRM_IOCTL_MODE_CREATE_DUMB %ux%u: %s", width, height, strerror(errno));
		return false;
	}
	fb->handle = create.handle;
	fb->pitch = create.pitch;
	fb->size = create.size;
	fb->width = width;
	fb->height = height;
	struct drm_mode_fb_cmd add = { .width = width, .height = height, .pitch = create.pitch, .bpp = 32,
				       .depth = 24, .handle = create.handle };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_ADDFB, &add) < 0) {
		snprintf(err, err_size, "DRM_IOCTL_MODE_ADDFB: %s", strerror(errno));
		return false;
	}
	fb->fb_id = add.fb_id;
	struct drm_mode_map_dumb map = { .handle = create.handle };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
		snprintf(err, err_size, "DRM_IOCTL_MODE_MAP_DUMB: %s", strerror(errno));
		return false;
	}
	void *p = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (p == MAP_FAILED) {
		snprintf(err, err_size, "mmap dumb buffer: %s", strerror(errno));
		return false;
	}
	fb->pixels = p;
	return true;
}

bool drm_scan_out(int fd, const struct drm_output *output, const struct drm_dumb_framebuffer *fb, char *err,
		  size_t err_size)
{
	uint32_t connector = output->connector_id;
	struct drm_mode_crtc crtc = { .set_connectors_ptr = (uintptr_t)&connector, .count_connectors = 1,
				      .crtc_id = output->crtc_id, .fb_id = fb->fb_id, .mode_valid = 1,
				      .mode = output->preferred };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc) < 0) {
		snprintf(err, err_size, "DRM_IOCTL_MODE_SETCRTC crtc %u %s: %s", output->crtc_id, output->preferred.name,
			 strerror(errno));
		return false;
	}
	struct drm_mode_fb_dirty_cmd dirty = { .fb_id = fb->fb_id };
	if (drm_ioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &dirty) < 0 && errno != ENOSYS) {
		snprintf(err, err_size, "DRM_IOCTL_MODE_DIRTYFB: %s", strerror(errno));
		return false;
	}
	return true;
}

void drm_dumb_destroy(int fd, struct drm_dumb_framebuffer *fb)
{
	if (fb->pixels)
		munmap(fb->pixels, fb->size);
	if (fb->fb_id)
		drm_ioctl(fd, DRM_IOCTL_MODE_RMFB, &fb->fb_id);
	if (fb->handle) {
		struct drm_mode_destroy_dumb destroy = { .handle = fb->handle };
		drm_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	}
	memset(fb, 0, sizeof(*fb));
}
