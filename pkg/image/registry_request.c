/* pkg/image/registry_request.c: a pull's requests and their answers. Where a request goes:
 * the registry's mirrors in order, then the registry itself (docker.io's API is
 * registry-1.docker.io), over HTTPS; an insecure registry, or a loopback one (127.0.0.0/8, ::1,
 * localhost, as Docker allows), also over plain HTTP when HTTPS fails. A layer's answer is
 * streamed into its tmp/ file. A 401 is answered as its WWW-Authenticate asks: Bearer -> a token
 * from the realm (with the auth file's basic credentials when it has them), Basic -> those
 * credentials; then the request again, once. A failure tries the next endpoint, and the last
 * one's says what failed in containerd's words. A 2xx answer goes back to the pull's steps
 * (registry.c).
 *
 * This file must not block: no file is read here but the small auth file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "image/dl_curl.h"
#include "image/registry_auth.h"
#include "image/registry_pull.h"

/* ---- one request ------------------------------------------------------------------------- */

static void xfer_done(struct registry_xfer *x, void *userdata);
static void token_done(struct registry_xfer *x, void *userdata);

/* A request of the current step (or, token, of the token realm) to url. */
static int xfer_start(struct pull *p, bool token, const char *url)
{
	struct image_puller *pl = p->puller;
	struct registry_request req = {
	        .url = url,
	        .fd = -1,
	        .authorization = p->authorization,
	        .timeout_s = pl->timeout_s,
	        .skip_verify = !token && p->endpoints[p->endpoint].skip_verify,
	};

	registry_xfer_free(TAKE_PTR(p->xfer));
	if (!token && p->step == STEP_LAYERS) {
		_cleanup_free_ char *tmp = NULL;
		struct nano_err err = {0};
		int r;

		/* one file per layer, kept from an earlier try of it (a mirror that failed) */
		if (!p->tmp_paths[p->layer]) {
			r = image_store_tmp_file(pl->store, &req.fd, &tmp, &err);
			nano_err_clear(&err);
			if (r < 0)
				return r;
			p->tmp_paths[p->layer] = TAKE_PTR(tmp);
		} else {
			req.fd = open(p->tmp_paths[p->layer], O_RDWR | O_TRUNC | O_CLOEXEC);
			if (req.fd < 0)
				return -errno;
		}
		req.max_bytes = p->manifest.layers[p->layer].size;
	}
	if (!token && (p->step == STEP_MANIFEST || p->step == STEP_PLATFORM))
		req.accept = IMAGE_MANIFEST_ACCEPT;
	return registry_xfer_start(pl->http, &req, token ? token_done : xfer_done, p, &p->xfer);
}

int pull_request(struct pull *p)
{
	_cleanup_free_ char *url = strdupf("%s%s", p->endpoints[p->endpoint].base, p->path);

	if (!url)
		return -ENOMEM;
	return xfer_start(p, false, url);
}

/* ---- answers: auth, errors, the next endpoint --------------------------------------------- */

static int endpoint_host(const struct endpoint *ep, char **out)
{
	const char *h = strstr(ep->base, "://");

	h = h ? h + 3 : ep->base;
	*out = strndup(h, strcspn(h, "/"));
	return *out ? 0 : -ENOMEM;
}

/* A 401: ask for a token, or use basic credentials. true: handled (a request started, or the
 * pull failed and is gone); false when there is no way on. */
static bool pull_auth(struct pull *p, struct registry_xfer *x, struct nano_err *err)
{
	struct registry_challenge c = {0};
	_cleanup_free_ char *host = NULL, *basic = NULL;
	int r;

	if (p->auth_tries++ >= 2 || !x->www_authenticate ||
	    registry_challenge_parse(x->www_authenticate, &c) < 0)
		goto no;
	if (endpoint_host(&p->endpoints[p->endpoint], &host) < 0)
		goto no;
	r = registry_auth_basic(p->puller->auth_file, host, &basic, err);
	if (r < 0) {
		registry_challenge_done(&c);
		return false;
	}
	free(p->authorization);
	p->authorization = NULL;
	if (strcmp(c.scheme, "bearer") == 0 && c.realm) {
		_cleanup_free_ char *service = NULL, *scope = NULL, *url = NULL;
		CURL *esc = sym_curl_easy_init();

		if (!esc)
			goto no;
		service = c.service ? sym_curl_easy_escape(esc, c.service, 0) : NULL;
		scope = sym_curl_easy_escape(esc, c.scope ? c.scope : p->scope, 0);
		sym_curl_easy_cleanup(esc);
		url = strdupf("%s%sscope=%s%s%s", c.realm, strchr(c.realm, '?') ? "&" : "?",
		              scope ? scope : "", service ? "&service=" : "",
		              service ? service : "");
		if (!url)
			goto no;
		/* the token request carries the basic credentials; the answer replaces them */
		if (basic)
			p->authorization = strdupf("%s", basic);
		registry_challenge_done(&c);
		r = xfer_start(p, true, url);
		goto started;
	}
	if (strcmp(c.scheme, "basic") == 0 && basic) {
		p->authorization = strdupf("%s", basic);
		registry_challenge_done(&c);
		r = p->authorization ? pull_request(p) : -ENOMEM;
		goto started;
	}
no:
	registry_challenge_done(&c);
	return false;
started:
	/* x is gone (the next request replaced it): a failure to start ends the pull here */
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
	return true;
}

static void on_token(struct pull *p, struct registry_xfer *x)
{
	_cleanup_json_ json_t *j = NULL;
	const char *token;
	long code = x->status;
	int r;

	free(p->authorization);
	p->authorization = NULL;
	if (code != 200)
		return pull_failf(p, -EACCES,
		                  "failed to resolve reference \"%s\": failed to fetch %s token: "
		                  "unexpected status from GET request to %s: %ld",
		                  p->reference, code == 401 ? "oauth" : "anonymous", x->url, code);
	j = json_loadb(x->body ? x->body : "", x->len, 0, NULL);
	token = json_string_value(json_object_get(j, "token"));
	if (!token)
		token = json_string_value(json_object_get(j, "access_token"));
	if (!token)
		return pull_failf(
		        p, -EACCES,
		        "failed to resolve reference \"%s\": the token server %s answered no "
		        "token",
		        p->reference, x->url);
	p->authorization = strdupf("Bearer %s", token);
	r = p->authorization ? pull_request(p) : -ENOMEM;
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
}

static const char *status_text(long code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

/* What failed, in the words of containerd's messages the kubelet shows. */
static char *failure_message(struct pull *p, struct registry_xfer *x, CURLcode res, long code)
{
	bool resolving = p->step == STEP_MANIFEST;
	_cleanup_free_ char *what = NULL;

	if (resolving)
		what = strdupf("failed to resolve reference \"%s\"", p->reference);
	else
		what = strdupf("failed to pull and unpack image \"%s\": failed to copy %s",
		               p->reference, p->expected ? p->expected : "");
	if (!what)
		return NULL;
	if (res != CURLE_OK) {
		long oserr = x->os_errno;
		char reason[256];

		if (x->too_big)
			return strdupf("%s: GET %s: more bytes than the %lld its descriptor says",
			               what, x->url, (long long)p->manifest.layers[p->layer].size);
		if (oserr > 0 && (res == CURLE_COULDNT_CONNECT || res == CURLE_RECV_ERROR ||
		                  res == CURLE_SEND_ERROR)) {
			snprintf(reason, sizeof(reason), "%s", strerror((int)oserr));
			reason[0] = (char)tolower((unsigned char)reason[0]);
		} else
			snprintf(reason, sizeof(reason), "%s",
			         x->errbuf[0] ? x->errbuf : sym_curl_easy_strerror(res));
		return strdupf("%s: failed to do request: GET %s: %s", what, x->url, reason);
	}
	if (code == 404 && resolving)
		return strdupf("%s: %s: not found", what, p->reference);
	return strdupf("%s: unexpected status from GET request to %s: %ld %s", what, x->url, code,
	               status_text(code));
}

static void token_done(struct registry_xfer *x, void *userdata)
{
	struct pull *p = userdata;

	if (x->result != CURLE_OK) {
		pull_failf(p, -EIO,
		           "failed to resolve reference \"%s\": failed to fetch token: GET %s: %s",
		           p->reference, x->url,
		           x->errbuf[0] ? x->errbuf : sym_curl_easy_strerror(x->result));
		return;
	}
	on_token(p, x);
}

static int status_errno(CURLcode res, long code)
{
	if (res != CURLE_OK)
		return -EIO;
	if (code == 404)
		return -ENOENT;
	if (code == 401 || code == 403)
		return -EACCES;
	return -EIO;
}

static void xfer_done(struct registry_xfer *x, void *userdata)
{
	struct pull *p = userdata;
	CURLcode res = x->result;
	long code = x->status;
	struct nano_err err = {0};

	if (res == CURLE_OK && code == 401) {
		if (pull_auth(p, x, &err))
			return;
		if (err.message) {
			nano_err_wrap(&err, "failed to resolve reference \"%s\"", p->reference);
			return pull_fail(p, -EACCES, &err);
		}
	}
	if (res == CURLE_OK && code >= 200 && code < 300)
		return pull_answered(p, x);
	/* a failure: the next endpoint (the next mirror, the registry, its plain HTTP), else
	 * the first HTTP answer's words, else this one's */
	_cleanup_free_ char *msg = failure_message(p, x, res, code);
	if (res == CURLE_OK && !p->http_error && msg && !p->endpoints[p->endpoint].mirror &&
	    !(code == 400 && p->tls_error))
		p->http_error = strdup(msg);
	/* a TLS registry asked in plain HTTP answers 400: its certificate's failure says more */
	if (res != CURLE_OK && !p->tls_error && msg && !p->endpoints[p->endpoint].mirror &&
	    strncmp(p->endpoints[p->endpoint].base, "https:", 6) == 0)
		p->tls_error = strdup(msg);
	if (p->endpoint + 1 < p->n_endpoints && !x->too_big) {
		log_debug("pull of %s: %s; trying %s", p->reference, msg ? msg : "?",
		          p->endpoints[p->endpoint + 1].base);
		p->endpoint++;
		p->auth_tries = 0;
		free(p->authorization);
		p->authorization = NULL;
		int r = pull_request(p);
		if (r < 0)
			pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference,
			           strerror(-r));
		return;
	}
	if (!p->http_error && res == CURLE_OK && code == 400 && p->tls_error)
		pull_failf(p, -EIO, "%s", p->tls_error);
	else
		pull_failf(p, status_errno(res, code), "%s",
		           p->http_error ? p->http_error
		           : msg         ? msg
		                         : "out of memory");
}

/* ---- where a registry is reached ----------------------------------------------------------- */

static bool loopback_host(const char *domain)
{
	_cleanup_free_ char *host = NULL;

	if (domain[0] == '[') {
		host = strndup(domain + 1, strcspn(domain + 1, "]"));
		return host && strcmp(host, "::1") == 0;
	}
	host = strndup(domain, strcspn(domain, ":"));
	return host && (strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0);
}

static int endpoint_add(struct pull *p, char *base, bool skip_verify, bool mirror)
{
	struct endpoint *e;

	if (!base)
		return -ENOMEM;
	e = realloc(p->endpoints, (p->n_endpoints + 1) * sizeof(*e));
	if (!e) {
		free(base);
		return -ENOMEM;
	}
	p->endpoints = e;
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	e[p->n_endpoints++] =
	        (struct endpoint){.base = base, .skip_verify = skip_verify, .mirror = mirror};
	return 0;
}

int pull_endpoints(struct pull *p)
{
	const struct image_puller *pl = p->puller;
	const struct image_registry_config *rc = NULL;
	const char *host = p->ref.domain;
	bool insecure;
	int r;

	for (size_t i = 0; i < pl->n_registries; i++)
		if (strcmp(pl->registries[i].domain, p->ref.domain) == 0)
			rc = &pl->registries[i];
	for (char **m = rc ? rc->mirrors : NULL; m && *m; m++) {
		r = endpoint_add(p, strstr(*m, "://") ? strdup(*m) : strdupf("https://%s", *m),
		                 false, true);
		if (r < 0)
			return r;
	}
	if (strcmp(host, IMAGE_DEFAULT_DOMAIN) == 0 || strcmp(host, IMAGE_LEGACY_DOMAIN) == 0)
		host = IMAGE_DOCKER_REGISTRY;
	insecure = rc && rc->insecure;
	r = endpoint_add(p, strdupf("https://%s", host), insecure, false);
	if (r >= 0 && (insecure || loopback_host(host)))
		r = endpoint_add(p, strdupf("http://%s", host), false, false);
	return r;
}
