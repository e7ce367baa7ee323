/* The list of device models this library offers, looked up by name (the hosts' "model=" option). */
#include "virtio_device.h"

#include <string.h>

extern const struct vdev_model model_entropy;
extern const struct vdev_model model_block;
extern const struct vdev_model model_gpio;
extern const struct vdev_model model_i2c;
extern const struct vdev_model model_vsock;
extern const struct vdev_model model_console;
extern const struct vdev_model model_input;
extern const struct vdev_model model_net;
extern const struct vdev_model model_can;
extern const struct vdev_model model_rpmb;
extern const struct vdev_model model_scmi;
extern const struct vdev_model model_sound;
extern const struct vdev_model model_media;
extern const struct vdev_model model_rtc;
extern const struct vdev_model model_balloon;
extern const struct vdev_model model_fs;

static const struct vdev_model *const all_models[] = {
	&model_entropy, &model_block, &model_gpio, &model_i2c, &model_vsock,
	&model_console, &model_input, &model_net, &model_can, &model_rpmb, &model_scmi, &model_sound,
	&model_media, &model_rtc, &model_balloon, &model_fs,
	NULL,
};

const struct vdev_model *const *vdev_models(void)
{
	return all_models;
}

const struct vdev_model *vdev_find_model(const char *name)
{
	for (unsigned i = 0; all_models[i]; i++)
		if (!strcmp(all_models[i]->name, name))
			return all_models[i];
	return NULL;
}
