/* daemon/tls.c: the TLS listener's files. The certificates come from pkg/pki; here they are
 * read, made when missing and written; the tokens file likewise. A file is written as
 * <name>.tmp (O_EXCL, its final mode from the start), fsync'd, renamed over <name>, and the
 * directory fsync'd: a crash leaves the old file or the new one, never half a key. The CA is
 * made once (its certificate is what every kubeconfig trusts); a serving certificate whenever
 * the one kept no longer serves. Tokens are compared in constant time and never logged. */
#include "tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the tokens file ---------------------------------------------------------------------- */

void tokens_done(struct tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		/* the secret does not stay in freed memory */
		if (t->users[i].token)
			explicit_bzero(t->users[i].token, strlen(t->users[i].token));
		free(t->users[i].token);
		free(t->users[i].name);
		free(t->users[i].uid);
		strv_free(t->users[i].groups);
	}
	free(t->users);
	*t = (struct tokens){0};
}

/* The next comma-separated field of *p (cut at the comma), NULL at the end of the line. */
static char *next_field(char **p)
{
	char *start = *p, *comma;

	if (!start)
		return NULL;
	comma = strchr(start, ',');
	if (comma) {
		*comma = '\0';
		*p = comma + 1;
	} else {
		*p = NULL;
	}
	return start;
}

/* token,user,uid[,"g1,g2" | ,g1] into u. */
static int parse_line(char *line, struct token_user *u)
{
	char *p = line, *token = next_field(&p), *name = next_field(&p), *uid = next_field(&p);

	if (!token || !*token || !name || !*name || !uid)
		return -EINVAL;
	if (p && *p == '"') {
		char *end = strchr(p + 1, '"');

		if (!end || end[1] != '\0')
			return -EINVAL;
		*end = '\0';
		p++;
	}
	for (char *g; p && (g = next_field(&p));)
		if (*g && strv_push(&u->groups, strdup(g)) < 0)
			return -ENOMEM;
	u->token = strdup(token);
	u->name = strdup(name);
	u->uid = strdup(uid);
	return u->token && u->name && u->uid ? 0 : -ENOMEM;
}

int tokens_parse(const char *text, struct tokens *out, struct nano_err *err)
{
	_cleanup_free_ char *copy = strdup(text ? text : "");
	size_t line_no = 0;
	struct tokens t = {0};

	*out = (struct tokens){0};
	if (!copy)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (char *line = copy, *nl; line; line = nl) {
		struct token_user *grown;
		int r;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		line_no++;
		line[strcspn(line, "\r")] = '\0';
		if (!*line || *line == '#')
			continue;
		grown = realloc(t.users, (t.n + 1) * sizeof(*grown));
		if (!grown) {
			tokens_done(&t);
			return nano_err_set(err, ENOMEM, "out of memory");
		}
		t.users = grown;
		t.users[t.n] = (struct token_user){0};
		r = parse_line(line, &t.users[t.n++]);
		if (r < 0) {
			tokens_done(&t);
			return nano_err_set(err, -r,
			                    "line %zu: must be token,user,uid,\"group1,group2\"",
			                    line_no);
		}
	}
	*out = t;
	return 0;
}

/* Constant time in the length of the shorter string's prefix compared: a wrong token's first
 * bytes cannot be found by timing. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i < lb ? i : 0];
	return diff == 0;
}

const struct token_user *tokens_find(const struct tokens *t, const char *token)
{
	const struct token_user *found = NULL;

	if (!token || !*token)
		return NULL;
	for (size_t i = 0; t && i < t->n; i++)
		if (same_secret(t->users[i].token, token) && !found)
			found = &t->users[i];
	return found;
}

/* ---- files ---------------------------------------------------------------------------------- */

/* path, whole or not at all, with mode. */
static int write_atomic(const char *path, const char *data, mode_t mode, struct nano_err *err)
{
	_cleanup_free_ char *tmp = strdupf("%s.tmp", path), *dir = strdup(path);
	_cleanup_close_ int fd = -1, dfd = -1;
	size_t len = strlen(data), done = 0;
	char *slash;

	if (!tmp || !dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	(void)unlink(tmp); /* one left by a crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return nano_err_set(err, errno, "create %s: %m", tmp);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			(void)unlink(tmp);
			return nano_err_set(err, e, "write %s: %s", tmp, strerror(e));
		}
		done += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;

		(void)unlink(tmp);
		return nano_err_set(err, e, "write %s: %s", path, strerror(e));
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	dfd = open(slash && *dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

/* The file's text into *out; -ENOENT quietly when missing. */
static int read_text_file(const char *path, char **out, struct nano_err *err)
{
	int r = util_read_file_at(AT_FDCWD, path, out);

	if (r == -ENOENT)
		return r;
	if (r < 0)
		return nano_err_set(err, -r, "read %s: %s", path, strerror(-r));
	return 0;
}

/* dir/cert_name and dir/key_name into *pair: 1 when both were there, 0 when neither. */
static int read_pair(const char *dir, const char *name, struct pki_pair *pair, struct nano_err *err)
{
	_cleanup_free_ char *crt = strdupf("%s/%s.crt", dir, name),
	                    *key = strdupf("%s/%s.key", dir, name);
	int r1, r2;

	*pair = (struct pki_pair){0};
	if (!crt || !key)
		return nano_err_set(err, ENOMEM, "out of memory");
	r1 = read_text_file(crt, &pair->cert, err);
	if (r1 < 0 && r1 != -ENOENT)
		return r1;
	r2 = read_text_file(key, &pair->key, err);
	if (r2 < 0 && r2 != -ENOENT) {
		pki_pair_done(pair);
		return r2;
	}
	return pair->cert && pair->key ? 1 : (pki_pair_done(pair), 0);
}

/* The key first: a crash between the two leaves a key without its certificate, which
 * read_pair() takes for neither. */
static int write_pair(const char *dir, const char *name, const struct pki_pair *pair,
                      struct nano_err *err)
{
	_cleanup_free_ char *crt = strdupf("%s/%s.crt", dir, name),
	                    *key = strdupf("%s/%s.key", dir, name);
	int r;

	if (!crt || !key)
		return nano_err_set(err, ENOMEM, "out of memory");
	/* no certificate beside a key not its own meanwhile */
	r = unlink(crt) < 0 && errno != ENOENT ? nano_err_set(err, errno, "remove %s: %m", crt) : 0;
	if (r >= 0)
		r = write_atomic(key, pair->key, 0600, err);
	if (r >= 0)
		r = write_atomic(crt, pair->cert, 0644, err);
	return r;
}

/* A hostname a DNS SAN can hold: letters, digits, '-' and '.' (an underscore is legal in a
 * hostname, not in a certificate's name: such a node is reached by address). */
static bool san_name(const char *s)
{
	return s && *s &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
	               strlen(s);
}

char **tls_sans(const char *hostname, const struct config_listen *listen)
{
	char **sans = NULL;
	const char *fixed[] = {san_name(hostname) ? hostname : NULL, "localhost", "127.0.0.1",
	                       "::1"};

	for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
		if (fixed[i] && *fixed[i] && strv_push(&sans, strdup(fixed[i])) < 0)
			return NULL;
	/* 0.0.0.0 and :: are every address, and no client's name for the server */
	if (listen && strcmp(listen->host, "0.0.0.0") != 0 && strcmp(listen->host, "::") != 0 &&
	    strv_push(&sans, strdup(listen->host)) < 0)
		return NULL;
	return sans;
}

/* 32 random bytes as 64 hex digits. */
static int random_token(char out[65])
{
	unsigned char b[32];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	explicit_bzero(b, sizeof(b));
	return 0;
}

static int load_tokens(const char *state_dir, struct tokens *tokens, struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/tokens", state_dir), *text = NULL;
	char token[65];
	int r;

	if (!path)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = read_text_file(path, &text, err);
	if (r == -ENOENT) {
		if (random_token(token) < 0)
			return nano_err_set(err, EIO, "no random bytes for a token");
		text = strdupf("%s,admin,admin,\"system:masters\"\n", token);
		explicit_bzero(token, sizeof(token));
		if (!text)
			return nano_err_set(err, ENOMEM, "out of memory");
		r = write_atomic(path, text, 0600, err);
		if (r < 0)
			return r;
		log_info("tls: made %s: a token for user admin (group system:masters)", path);
	} else if (r < 0) {
		return r;
	}
	r = tokens_parse(text, tokens, err);
	explicit_bzero(text, strlen(text));
	if (r < 0)
		return nano_err_wrap(err, "%s", path);
	if (tokens->n == 0)
		log_warn("tls: %s has no token: every request on the listener is answered 401",
		         path);
	return 0;
}

int tls_files_load(const char *state_dir, const char *hostname, const struct config_listen *listen,
                   struct pki_pair *serving, struct tokens *tokens, struct nano_err *err)
{
	_cleanup_free_ char *dir = strdupf("%s/pki", state_dir);
	_cleanup_strv_ char **sans = tls_sans(hostname, listen);
	struct pki_pair ca = {0};
	const char *why = NULL;
	int64_t now = (int64_t)time(NULL);
	int r;

	*serving = (struct pki_pair){0};
	if (!dir || !sans)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nano_err_set(err, errno, "create %s: %m", dir);
	r = read_pair(dir, "ca", &ca, err);
	if (r == 0) {
		r = pki_ca_new("nanolet-ca", now, &ca);
		if (r < 0)
			return nano_err_set(err, -r, "make a CA: %s", strerror(-r));
		r = write_pair(dir, "ca", &ca, err);
		if (r >= 0)
			log_info("tls: made a CA in %s", dir);
	}
	if (r >= 0)
		r = read_pair(dir, "serving", serving, err);
	if (r == 1 && !pki_serving_current(ca.cert, serving, sans, now, &why)) {
		log_info("tls: making a new serving certificate: the one in %s/serving.crt no "
		         "longer serves (%s)",
		         dir, why);
		pki_pair_done(serving);
		r = 0;
	}
	if (r == 0) {
		r = pki_serving_new(&ca, hostname && *hostname ? hostname : "nanolet", sans, now,
		                    serving);
		if (r < 0)
			nano_err_set(err, -r, "make a serving certificate: %s", strerror(-r));
		else
			r = write_pair(dir, "serving", serving, err);
	}
	pki_pair_done(&ca);
	if (r < 0) {
		pki_pair_done(serving);
		return r;
	}
	return load_tokens(state_dir, tokens, err);
}

/* ---- nanoletd kubeconfig -------------------------------------------------------------------- */

static char *base64(const char *in)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), o = 0;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	const unsigned char *s = (const unsigned char *)in;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) |
		             (i + 2 < len ? s[i + 2] : 0);

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = i + 1 < len ? abc[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? abc[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* s as a YAML double-quoted scalar: a user name or token of the file may hold ':', '#', ... */
static char *yaml_quoted(const char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = malloc(len * 4 + 3);

	if (!out)
		return NULL;
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

int tls_kubeconfig(const struct nano_config *config, FILE *out, struct nano_err *err)
{
	_cleanup_free_ char *ca_path = strdupf("%s/pki/ca.crt", config->state_dir),
	                    *tokens_path = strdupf("%s/tokens", config->state_dir);
	_cleanup_free_ char *ca = NULL, *text = NULL, *ca_data = NULL, *user = NULL, *token = NULL;
	struct config_listen listen;
	struct tokens tokens = {0};
	const char *host;
	int r;

	if (!config->listen)
		return nano_err_set(
		        err, ENOENT,
		        "listen is not set: a kubeconfig needs the TLS listener (config "
		        "key listen, or --listen 127.0.0.1:6443)");
	if (config_listen_parse(config->listen, &listen) < 0 || !ca_path || !tokens_path)
		return nano_err_set(err, EINVAL, "listen %s: not an address and port",
		                    config->listen);
	r = util_read_file_at(AT_FDCWD, ca_path, &ca);
	if (r >= 0)
		r = util_read_file_at(AT_FDCWD, tokens_path, &text);
	if (r == -ENOENT)
		return nano_err_set(
		        err, ENOENT,
		        "%s or %s does not exist yet: nanoletd makes them when it starts "
		        "with listen set; start it first",
		        ca_path, tokens_path);
	if (r < 0)
		return nano_err_set(err, -r, "read %s: %s", text ? ca_path : tokens_path,
		                    strerror(-r));
	r = tokens_parse(text, &tokens, err);
	explicit_bzero(text, strlen(text));
	if (r < 0)
		return nano_err_wrap(err, "%s", tokens_path);
	if (tokens.n == 0) {
		tokens_done(&tokens);
		return nano_err_set(err, ENOENT, "%s has no token", tokens_path);
	}
	ca_data = base64(ca);
	user = yaml_quoted(tokens.users[0].name);
	token = yaml_quoted(tokens.users[0].token);
	tokens_done(&tokens);
	if (!ca_data || !user || !token) {
		if (token)
			explicit_bzero(token, strlen(token));
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	/* every address is no address to connect to: the same host's loopback */
	host = strcmp(listen.host, "0.0.0.0") == 0 ? "127.0.0.1"
	       : strcmp(listen.host, "::") == 0    ? "::1"
	                                           : listen.host;
	fprintf(out,
	        "apiVersion: v1\n"
	        "kind: Config\n"
	        "clusters:\n"
	        "- name: nanolet\n"
	        "  cluster:\n"
	        "    server: https://%s%s%s:%u\n"
	        "    certificate-authority-data: %s\n"
	        "users:\n"
	        "- name: %s\n"
	        "  user:\n"
	        "    token: %s\n"
	        "contexts:\n"
	        "- name: nanolet\n"
	        "  context:\n"
	        "    cluster: nanolet\n"
	        "    user: %s\n"
	        "    namespace: default\n"
	        "current-context: nanolet\n",
	        listen.family == AF_INET6 ? "[" : "", host, listen.family == AF_INET6 ? "]" : "",
	        (unsigned)listen.port, ca_data, user, token, user);
	explicit_bzero(token, strlen(token));
	if (fflush(out) != 0 || ferror(out))
		return nano_err_set(err, errno ? errno : EIO, "write the kubeconfig: %m");
	return 0;
}
