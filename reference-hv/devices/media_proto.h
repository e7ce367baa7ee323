/* The virtio-media protocol (VIRTIO 1.4 Device Types / Media Device) and the V4L2 payload layouts it carries (64-bit, little-endian), shared by the model, its unit test and the media probe. */
#ifndef MEDIA_PROTO_H
#define MEDIA_PROTO_H

#define MEDIA_DEVICE_ID 48
#define MEDIA_COMMANDQ 0
#define MEDIA_EVENTQ 1
#define MEDIA_SHM_MMAP 0            /* shared memory region ID of MMAP buffers */

/* struct virtio_media_config */
#define MEDIA_CFG_DEVICE_CAPS 0
#define MEDIA_CFG_DEVICE_TYPE 4
#define MEDIA_CFG_CARD 8
#define MEDIA_CFG_BYTES 40

#define MEDIA_CMD_OPEN 1
#define MEDIA_CMD_CLOSE 2
#define MEDIA_CMD_IOCTL 3
#define MEDIA_CMD_MMAP 4
#define MEDIA_CMD_MUNMAP 5
#define MEDIA_MMAP_FLAG_RW 1u

#define MEDIA_EVT_ERROR 0
#define MEDIA_EVT_DQBUF 1
#define MEDIA_EVT_EVENT 2
#define MEDIA_MAX_PLANES 8

/* Sizes: command and response headers, the fixed parts of each command and response. */
#define MEDIA_HDR 8
#define MEDIA_IOCTL_CMD 16          /* header, session_id, code; the payload follows */
#define MEDIA_OPEN_RESP 16          /* header, session_id, reserved */
#define MEDIA_CLOSE_CMD 16          /* header, session_id, reserved */
#define MEDIA_MMAP_CMD 20           /* header, session_id, flags, offset */
#define MEDIA_MMAP_RESP 24          /* header, driver_addr, len */
#define MEDIA_MUNMAP_CMD 16         /* header, driver_addr */
#define MEDIA_SG_ENTRY 16           /* le64 start, le32 len, reserved */
#define MEDIA_UUID 16
#define MEDIA_EVT_ERROR_BYTES 16    /* header, errno, reserved */
#define MEDIA_EVT_DQBUF_BYTES (8 + V4L2_BUFFER_BYTES + MEDIA_MAX_PLANES * V4L2_PLANE_BYTES)

/* Linux error codes the device answers with. */
#define MEDIA_EIO 5
#define MEDIA_ENOMEM 12
#define MEDIA_EFAULT 14
#define MEDIA_EBUSY 16
#define MEDIA_EINVAL 22
#define MEDIA_ENOTTY 25

/* VIDIOC_* ioctl codes (the _IO* macro's number). */
#define VIDIOC_NR_QUERYCAP 0
#define VIDIOC_NR_ENUM_FMT 2
#define VIDIOC_NR_G_FMT 4
#define VIDIOC_NR_S_FMT 5
#define VIDIOC_NR_REQBUFS 8
#define VIDIOC_NR_QUERYBUF 9
#define VIDIOC_NR_QBUF 15
#define VIDIOC_NR_EXPBUF 16
#define VIDIOC_NR_DQBUF 17
#define VIDIOC_NR_STREAMON 18
#define VIDIOC_NR_STREAMOFF 19
#define VIDIOC_NR_G_JPEGCOMP 61
#define VIDIOC_NR_S_JPEGCOMP 62
#define VIDIOC_NR_TRY_FMT 64
#define VIDIOC_NR_LOG_STATUS 70
#define VIDIOC_NR_DQEVENT 89

#define V4L2_BUF_TYPE_CAPTURE_MPLANE 9
#define V4L2_MEM_MMAP 1
#define V4L2_MEM_USERPTR 2          /* VIRTIO_MEDIA_SHARED_PAGES */
#define V4L2_MEM_DMABUF 4           /* VIRTIO_MEDIA_OBJECT */
#define V4L2_FIELD_NONE_ 1
#define V4L2_COLORSPACE_SRGB_ 8
#define V4L2_FOURCC_YUYV 0x56595559u
#define V4L2_CAPS_CAPTURE_MPLANE 0x00001000u
#define V4L2_CAPS_STREAMING 0x04000000u
#define V4L2_BUFFLAG_MAPPED 0x1u
#define V4L2_BUFFLAG_QUEUED 0x2u
#define V4L2_BUFFLAG_DONE 0x4u
#define V4L2_REQBUFS_CAN_MMAP 0x1u
#define V4L2_REQBUFS_CAN_USERPTR 0x2u

/* struct v4l2_fmtdesc */
#define V4L2_FMTDESC_BYTES 64
#define V4L2_FMTDESC_INDEX 0
#define V4L2_FMTDESC_TYPE 4
#define V4L2_FMTDESC_DESCRIPTION 12
#define V4L2_FMTDESC_PIXELFORMAT 44
/* struct v4l2_format with struct v4l2_pix_format_mplane at FMT */
#define V4L2_FORMAT_BYTES 208
#define V4L2_FORMAT_TYPE 0
#define V4L2_FORMAT_FMT 8
#define V4L2_MP_WIDTH 0
#define V4L2_MP_HEIGHT 4
#define V4L2_MP_PIXELFORMAT 8
#define V4L2_MP_FIELD 12
#define V4L2_MP_COLORSPACE 16
#define V4L2_MP_SIZEIMAGE 20        /* plane_fmt[0].sizeimage */
#define V4L2_MP_BYTESPERLINE 24     /* plane_fmt[0].bytesperline */
#define V4L2_MP_NUM_PLANES 180
/* struct v4l2_requestbuffers */
#define V4L2_REQBUFS_BYTES 20
#define V4L2_REQBUFS_COUNT 0
#define V4L2_REQBUFS_TYPE 4
#define V4L2_REQBUFS_MEMORY 8
#define V4L2_REQBUFS_CAPS 12
/* struct v4l2_buffer (m.planes points to `length` struct v4l2_plane, which follow it in the chain) */
#define V4L2_BUFFER_BYTES 88
#define V4L2_BUF_INDEX 0
#define V4L2_BUF_TYPE 4
#define V4L2_BUF_BYTESUSED 8
#define V4L2_BUF_FLAGS 12
#define V4L2_BUF_FIELD 16
#define V4L2_BUF_SEQUENCE 56
#define V4L2_BUF_MEMORY 60
#define V4L2_BUF_M 64               /* m.planes for multi-planar types */
#define V4L2_BUF_LENGTH 72          /* number of planes for multi-planar types */
/* struct v4l2_plane */
#define V4L2_PLANE_BYTES 64
#define V4L2_PLANE_BYTESUSED 0
#define V4L2_PLANE_LENGTH 4
#define V4L2_PLANE_M 8              /* mem_offset (MMAP) or userptr (SHARED_PAGES) */
/* struct v4l2_exportbuffer (the UUID follows it) */
#define V4L2_EXPBUF_BYTES 64
#define V4L2_EXPBUF_TYPE 0
#define V4L2_EXPBUF_INDEX 4
#define V4L2_EXPBUF_PLANE 8
#define V4L2_EXPBUF_FD 16

#endif
