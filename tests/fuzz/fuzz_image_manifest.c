/* tests/fuzz/fuzz_image_manifest.c: what a registry or an archive sends as an image's JSON
 * (an index, a manifest, a config), and a pod's image reference. The same bytes go to each
 * parser, as a registry can serve anything under any media type: what one accepts must hold
 * its promises (sha256 digests, sizes not negative, lists as long as they say), and a
 * reference that parses prints as one that parses to the same. */
#include "fuzz.h"

#include "image/image.h"

static void check_index(const char *s, size_t size)
{
	struct image_platform p;
	struct image_descriptor d;
	int r;

	image_platform_node(&p);
	(void)image_is_index(NULL, s, size);
	r = image_index_pick(s, size, &p, "fuzz", &d, NULL);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOENT || r == -ENOTSUP || r == -ENOMEM);
	if (r == 0) {
		FUZZ_ASSERT(image_digest_valid(d.digest));
		FUZZ_ASSERT(d.size >= 0);
		free(d.media_type);
	}
}

static void check_manifest(const char *s, size_t size)
{
	struct image_manifest m;
	int r = image_manifest_parse(s, size, &m, NULL);

	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOTSUP || r == -ENOMEM);
	if (r < 0) {
		FUZZ_ASSERT(m.layers == NULL && m.n_layers == 0);
		return;
	}
	FUZZ_ASSERT(image_digest_valid(m.config.digest));
	for (size_t i = 0; i < m.n_layers; i++) {
		FUZZ_ASSERT(image_digest_valid(m.layers[i].digest));
		FUZZ_ASSERT(m.layers[i].size >= 0);
		FUZZ_ASSERT(m.layers[i].media_type != NULL);
	}
	image_manifest_done(&m);
}

static void check_config(const char *s, size_t size)
{
	struct image_config c;
	int r = image_config_parse(s, size, &c, NULL);

	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENOMEM);
	if (r < 0)
		return;
	FUZZ_ASSERT(c.diff_ids != NULL);
	for (size_t i = 0; c.diff_ids[i]; i++)
		FUZZ_ASSERT(image_digest_valid(c.diff_ids[i]));
	FUZZ_ASSERT(!c.user || c.user[0]);
	FUZZ_ASSERT(!c.working_dir || c.working_dir[0]);
	image_config_done(&c);
}

static void check_ref(const char *s)
{
	struct image_ref r, again;
	char *printed, *printed_again;
	int q = image_ref_parse(s, &r, NULL);

	FUZZ_ASSERT(q == 0 || q == -EINVAL || q == -ENOMEM);
	if (q < 0)
		return;
	FUZZ_ASSERT(r.domain && r.path && (r.tag || r.digest));
	FUZZ_ASSERT(!r.digest || image_digest_valid(r.digest));
	printed = image_ref_string(&r);
	FUZZ_ASSERT(printed);
	FUZZ_ASSERT(image_ref_parse(printed, &again, NULL) == 0);
	printed_again = image_ref_string(&again);
	FUZZ_ASSERT(printed_again && strcmp(printed, printed_again) == 0);
	free(printed);
	free(printed_again);
	image_ref_done(&again);
	image_ref_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_text(data, size);

	check_index(s, size);
	check_manifest(s, size);
	check_config(s, size);
	if (size < 512)
		check_ref(s);
	return 0;
}
