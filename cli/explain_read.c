/* cli/explain_read.c: what `nanolet explain -f` reads — a file, a directory of files, or stdin —
 * into the Pod documents it holds, as `kubectl apply -f` finds them: YAML streams of several
 * documents, a JSON value, and the items of a kind List. Reading is all it does: whether a
 * document is a valid Pod is spec_pod_decode's to say, in explain.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "explain.h"
#include "spec/spec.h"

/* Manifests are text of a few kilobytes; anything past this is not one. */
#define EXPLAIN_MAX_FILE_BYTES (64 << 20)

void explain_docs_done(struct explain_docs *docs)
{
	for (size_t i = 0; i < docs->n; i++) {
		free(docs->v[i].origin);
		json_decref(docs->v[i].doc);
		free(docs->v[i].error);
	}
	free(docs->v);
	*docs = (struct explain_docs){0};
}

/* Takes origin, doc and error, whatever happens. */
static int add(struct explain_docs *docs, char *origin, json_t *doc, char *error)
{
	struct explain_doc *grown = reallocarray(docs->v, docs->n + 1, sizeof(*grown));

	if (!grown || !origin || (!doc && !error)) {
		free(origin);
		json_decref(doc);
		free(error);
		return -ENOMEM;
	}
	docs->v = grown;
	docs->v[docs->n++] = (struct explain_doc){origin, doc, error};
	return 0;
}

/* kubectl reads a List (kind List, or any kind ending in List) as its items. */
static bool is_list(const json_t *doc)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	size_t len = kind ? strlen(kind) : 0;

	return len >= 4 && strcmp(kind + len - 4, "List") == 0 &&
	       json_is_array(json_object_get(doc, "items"));
}

static int add_value(struct explain_docs *docs, const char *origin, json_t *doc)
{
	json_t *items = json_object_get(doc, "items"), *item;
	size_t i;
	int r = 0;

	if (!is_list(doc))
		return add(docs, strdup(origin), json_incref(doc), NULL);
	json_array_foreach(items, i, item)
	{
		r = add(docs, strdupf("%s: items[%zu]", origin, i), json_incref(item), NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The documents of one file's text. */
static int add_text(struct explain_docs *docs, const char *origin, const char *text, size_t len)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *value = NULL;
	size_t i = 0, count;
	json_t *doc;
	int r;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	/* JSON is one value; YAML may be a stream of documents */
	if (i < len && (text[i] == '{' || text[i] == '['))
		r = spec_document_decode(text, len, SPEC_FORMAT_JSON, &value, &err);
	else
		r = spec_yaml_documents(text, len, &value, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return add(docs, strdup(origin), NULL,
		           strdup(err.message ? err.message : "unreadable"));
	if (!json_is_array(value) || text[i] == '[')
		return add_value(docs, origin, value);
	count = json_array_size(value);
	json_array_foreach(value, i, doc)
	{
		_cleanup_free_ char *where = NULL;

		if (json_is_null(doc))
			continue; /* an empty document, as kubectl skips it */
		where = count > 1 ? strdupf("%s: document %zu", origin, i + 1) : strdup(origin);
		if (!where)
			return -ENOMEM;
		r = add_value(docs, where, doc);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_file(struct explain_docs *docs, const char *path, int fd)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = util_read_fd(fd, EXPLAIN_MAX_FILE_BYTES, &text, &len);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return add(docs, strdup(path), NULL,
		           r == -EFBIG ? strdupf("larger than %d bytes", EXPLAIN_MAX_FILE_BYTES)
		                       : strdup(strerror(-r)));
	return add_text(docs, path, text, len);
}

static bool manifest_name(const char *name)
{
	static const char *const suffixes[] = {".yaml", ".yml", ".json"};
	size_t len = strlen(name);

	if (name[0] == '.')
		return false;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && strcmp(name + len - n, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int select_manifest(const struct dirent *d)
{
	return manifest_name(d->d_name);
}

/* A directory: its manifests in name order, not its subdirectories (kubectl without -R). */
static int add_dir(struct explain_docs *docs, const char *path)
{
	struct dirent **names = NULL;
	int n = scandir(path, &names, select_manifest, cmp_name);
	int r = 0;

	if (n < 0)
		return add(docs, strdup(path), NULL, strdup(strerror(errno)));
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *file = strdupf(
		        "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]->d_name);
		_cleanup_close_ int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : -1;
		struct stat st;

		if (r >= 0 && !file)
			r = -ENOMEM;
		else if (r >= 0 && fd < 0)
			r = add(docs, strdup(file), NULL, strdup(strerror(errno)));
		else if (r >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			r = add_file(docs, file, fd);
		free(names[i]);
	}
	free(names);
	return r;
}

int explain_read(const char *path, struct explain_docs *docs)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strcmp(path, "-") == 0)
		return add_file(docs, "stdin", STDIN_FILENO);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return add(docs, strdup(path), NULL, strdup(strerror(errno)));
	if (S_ISDIR(st.st_mode))
		return add_dir(docs, path);
	return add_file(docs, path, fd);
}
