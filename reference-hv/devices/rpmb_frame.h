/* The RPMB frame (VIRTIO 1.2 Device Types / RPMB Device): byte offsets of its big-endian fields and its request, response and result codes, shared by the model, its unit test and the RPMB probe. */
#ifndef RPMB_FRAME_H
#define RPMB_FRAME_H

/* One frame is 512 bytes: 196 stuff bytes, then the fields below; the MAC covers bytes 228..511. */
#define RPMB_FRAME_BYTES 512
#define RPMB_OFF_KEY_MAC 196
#define RPMB_OFF_DATA 228
#define RPMB_OFF_NONCE 484
#define RPMB_OFF_COUNTER 500
#define RPMB_OFF_ADDRESS 504
#define RPMB_OFF_BLOCK_COUNT 506
#define RPMB_OFF_RESULT 508
#define RPMB_OFF_REQ_RESP 510

#define RPMB_REQ_PROGRAM_KEY 0x0001
#define RPMB_REQ_GET_WRITE_COUNTER 0x0002
#define RPMB_REQ_DATA_WRITE 0x0003
#define RPMB_REQ_DATA_READ 0x0004
#define RPMB_REQ_RESULT_READ 0x0005
#define RPMB_RESP_PROGRAM_KEY 0x0100
#define RPMB_RESP_GET_COUNTER 0x0200
#define RPMB_RESP_DATA_WRITE 0x0300
#define RPMB_RESP_DATA_READ 0x0400

#define RPMB_RES_OK 0x0000
#define RPMB_RES_GENERAL_FAILURE 0x0001
#define RPMB_RES_AUTH_FAILURE 0x0002
#define RPMB_RES_COUNT_FAILURE 0x0003
#define RPMB_RES_ADDR_FAILURE 0x0004
#define RPMB_RES_WRITE_FAILURE 0x0005
#define RPMB_RES_NO_AUTH_KEY 0x0007
#define RPMB_RES_WRITE_COUNTER_EXPIRED 0x0080

#endif
