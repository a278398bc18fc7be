/* pkg/spec/namespace.c: a Namespace document (what `kubectl create namespace` and a manifest
 * send) read and checked as the API server does: kind and apiVersion when given, metadata.name
 * a DNS-1123 label, labels and annotations maps of strings. Pure. */
#include <string.h>

#include "validate.h"

static void check_string_map(json_t *metadata, const char *key, struct nano_err *causes)
{
	json_t *map = json_object_get(metadata, key), *v;
	const char *k;

	if (!map || json_is_null(map))
		return;
	if (!json_is_object(map)) {
		nano_err_cause(causes, key[0] == 'l' ? "metadata.labels" : "metadata.annotations",
		               "FieldValueInvalid", "Invalid value: must be a map of strings");
		return;
	}
	json_object_foreach(map, k, v) if (!json_is_string(v))
	        nano_err_cause(causes, key[0] == 'l' ? "metadata.labels" : "metadata.annotations",
	                       "FieldValueInvalid", "Invalid value: %s: must be a string", k);
}

int spec_namespace_decode(json_t *doc, char **name, json_t **metadata, struct nano_err *err)
{
	_cleanup_(nano_err_clear) struct nano_err causes = {0};
	_cleanup_strv_ char **lines = NULL;
	_cleanup_free_ char *list = NULL;
	json_t *meta = json_object_get(doc, "metadata");
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	const char *api_version = json_string_value(json_object_get(doc, "apiVersion"));
	const char *n = json_string_value(json_object_get(meta, "name"));
	size_t k = 0;

	*name = NULL;
	*metadata = NULL;
	if (!json_is_object(doc))
		return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
		                     "a Namespace must be a JSON or YAML object");
	if (kind && strcmp(kind, "Namespace") != 0)
		nano_err_cause(&causes, "kind", "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"Namespace\"", kind);
	if (api_version && strcmp(api_version, "v1") != 0)
		nano_err_cause(&causes, "apiVersion", "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"v1\"", api_version);
	if (!n || !*n)
		nano_err_cause(&causes, "metadata.name", "FieldValueRequired",
		               "Required value: name or generateName is required");
	else if (!validate_dns1123_label(n))
		nano_err_cause(&causes, "metadata.name", "FieldValueInvalid",
		               "Invalid value: \"%s\": %s", n, validate_label_message);
	check_string_map(meta, "labels", &causes);
	check_string_map(meta, "annotations", &causes);
	if (causes.n_causes == 0) {
		*name = strdup(n);
		*metadata = json_object();
		if (!*name || !*metadata) {
			free(*name);
			json_decref(*metadata);
			*name = NULL;
			*metadata = NULL;
			return nano_err_set(err, ENOMEM, "out of memory");
		}
		if (json_is_object(json_object_get(meta, "labels")))
			json_object_set(*metadata, "labels", json_object_get(meta, "labels"));
		if (json_is_object(json_object_get(meta, "annotations")))
			json_object_set(*metadata, "annotations",
			                json_object_get(meta, "annotations"));
		return 0;
	}
	for (size_t i = 0; i < causes.n_causes; i++)
		strv_append(&lines, &k,
		            strdupf("%s: %s", causes.causes[i].field, causes.causes[i].message));
	list = strv_join(lines, ", ");
	if (!list)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (err) {
		nano_err_clear(err);
		err->causes = TAKE_PTR(causes.causes);
		err->n_causes = causes.n_causes;
		causes.n_causes = 0;
	}
	nano_err_setc(err, NANO_INVALID, EINVAL,
	              k > 1 ? "Namespace \"%s\" is invalid: [%s]"
	                    : "Namespace \"%s\" is invalid: %s",
	              n ? n : "", list);
	return -EINVAL;
}
