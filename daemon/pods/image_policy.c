/* daemon/pods/image_policy.c: the pure part of the kubelet's image manager (images.h): the pull
 * policy's decision (shouldPullImage), the image back-off (flowcontrol.Backoff as the kubelet
 * makes it for images: no jitter) and Go's duration words of the Pulled event. No I/O, no
 * clock: the Check suite drives it. */
#include <inttypes.h>
#include <stdio.h>

#include "pods/images.h"

enum pod_image_action pod_image_decide(enum image_pull_policy policy, bool present)
{
	if (policy == IMAGE_PULL_NEVER)
		return present ? POD_IMAGE_USE : POD_IMAGE_NEVER_PULL;
	if (policy == IMAGE_PULL_ALWAYS || !present)
		return POD_IMAGE_PULL;
	return POD_IMAGE_USE;
}

static int64_t backoff_usec(int64_t seconds)
{
	return seconds * 1000000;
}

/* hasExpired: eventTime.Sub(lastUpdate) > maxDuration*2 */
static bool backoff_expired(const struct pod_image_backoff *b, int64_t now,
                            const struct pods_image_backoff *config)
{
	return now - b->last_update > 2 * backoff_usec(config->max);
}

bool pod_image_backoff_active(const struct pod_image_backoff *b, int64_t now,
                              const struct pods_image_backoff *config)
{
	if (!b || b->backoff == 0 || backoff_expired(b, now, config))
		return false;
	return now - b->last_update < b->backoff;
}

void pod_image_backoff_next(struct pod_image_backoff *b, int64_t now,
                            const struct pods_image_backoff *config)
{
	int64_t max = backoff_usec(config->max);

	if (b->backoff == 0 || backoff_expired(b, now, config))
		b->backoff = backoff_usec(config->initial);
	else
		b->backoff = b->backoff * 2 > max ? max : b->backoff * 2;
	if (b->backoff > max)
		b->backoff = max;
	b->last_update = now;
}

/* Go's fmtFrac and fmtInt for a Duration already truncated to milliseconds. */
void pod_image_duration(int64_t ns, char *out, size_t size)
{
	int64_t ms = ns / 1000000, h, m, s, frac;
	char fraction[8] = "";
	int n;

	if (ms <= 0) {
		snprintf(out, size, "0s");
		return;
	}
	if (ms < 1000) {
		snprintf(out, size, "%" PRId64 "ms", ms);
		return;
	}
	h = ms / 3600000;
	m = ms / 60000 % 60;
	s = ms / 1000 % 60;
	frac = ms % 1000;
	if (frac) {
		n = snprintf(fraction, sizeof(fraction), ".%03" PRId64, frac);
		while (n > 1 && fraction[n - 1] == '0')
			fraction[--n] = '\0';
	}
	if (h)
		snprintf(out, size, "%" PRId64 "h%" PRId64 "m%" PRId64 "%ss", h, m, s, fraction);
	else if (m)
		snprintf(out, size, "%" PRId64 "m%" PRId64 "%ss", m, s, fraction);
	else
		snprintf(out, size, "%" PRId64 "%ss", s, fraction);
}
