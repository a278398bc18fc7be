/* pkg/image/digest.c: sha256 through GnuTLS (image.h), the only digest algorithm nanolet
 * accepts, as "sha256:<64 lowercase hex>". A running hash lets layers and blobs be verified
 * as they stream, never read twice. */
#include "image.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#define SHA256_LEN 32

struct image_hash {
	gnutls_hash_hd_t h;
};

bool image_digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != IMAGE_DIGEST_LEN)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int image_hash_new(struct image_hash **out)
{
	struct image_hash *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	if (gnutls_hash_init(&h->h, GNUTLS_DIG_SHA256) < 0) {
		free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void image_hash_update(struct image_hash *h, const void *data, size_t len)
{
	if (len > 0)
		gnutls_hash(h->h, data, len);
}

void image_hash_finish(struct image_hash *h, char out[IMAGE_DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_LEN];

	gnutls_hash_deinit(h->h, md);
	free(h);
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 0xf];
	}
	out[IMAGE_DIGEST_LEN] = '\0';
}

void image_hash_free(struct image_hash *h)
{
	if (!h)
		return;
	gnutls_hash_deinit(h->h, NULL);
	free(h);
}
