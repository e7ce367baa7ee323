/* Host unit tests of the SHA-256 / HMAC-SHA256 helper against FIPS 180-4 examples and RFC 4231 test cases. */
#include "../hmac_sha256.h"
#include "unit_check.h"

static void hex(const uint8_t *bytes, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

static void digest_of(const void *data, size_t len, size_t piece, char out[65])
{
	struct sha256 s;
	uint8_t d[SHA256_BYTES];
	sha256_init(&s);
	for (size_t at = 0; at < len; at += piece)
		sha256_update(&s, (const uint8_t *)data + at, len - at < piece ? len - at : piece);
	sha256_final(&s, d);
	hex(d, sizeof(d), out);
}

static void mac_of(const void *key, size_t key_len, const void *data, size_t len, char out[65])
{
	struct hmac_sha256 m;
	uint8_t d[SHA256_BYTES];
	hmac_sha256_init(&m, key, key_len);
	hmac_sha256_update(&m, data, len);
	hmac_sha256_final(&m, d);
	hex(d, sizeof(d), out);
}

int main(void)
{
	printf("KTAP version 1\n");
	char out[65];
	/* FIPS 180-4 / NIST CSRC examples: one block, two blocks, the empty message, a million 'a'. */
	digest_of("abc", 3, 3, out);
	CHECK_STR("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", out, "sha256_abc");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	digest_of(two, strlen(two), 7, out);
	CHECK_STR("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", out, "sha256_two_blocks_in_pieces");
	digest_of("", 0, 1, out);
	CHECK_STR("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", out, "sha256_empty");
	static char million[1000000];
	memset(million, 'a', sizeof(million));
	digest_of(million, sizeof(million), 4099, out);
	CHECK_STR("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", out, "sha256_million_a");

	/* RFC 4231 test cases 1, 2, 3, 4, 6 (key longer than a block) and 7. */
	uint8_t key[131];
	memset(key, 0x0b, 20);
	mac_of(key, 20, "Hi There", 8, out);
	CHECK_STR("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", out, "hmac_rfc4231_case1");
	mac_of("Jefe", 4, "what do ya want for nothing?", 28, out);
	CHECK_STR("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", out, "hmac_rfc4231_case2");
	uint8_t data[50];
	memset(key, 0xaa, 20);
	memset(data, 0xdd, sizeof(data));
	mac_of(key, 20, data, sizeof(data), out);
	CHECK_STR("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", out, "hmac_rfc4231_case3");
	for (int i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, sizeof(data));
	mac_of(key, 25, data, sizeof(data), out);
	CHECK_STR("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", out, "hmac_rfc4231_case4");
	memset(key, 0xaa, sizeof(key));
	const char *case6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	mac_of(key, sizeof(key), case6, strlen(case6), out);
	CHECK_STR("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", out, "hmac_rfc4231_case6");
	const char *case7 = "This is a test using a larger than block-size key and a larger than block-size data. "
			    "The key needs to be hashed before being used by the HMAC algorithm.";
	mac_of(key, sizeof(key), case7, strlen(case7), out);
	CHECK_STR("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", out, "hmac_rfc4231_case7");
	return UNIT_DONE();
}
