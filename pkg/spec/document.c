/* pkg/spec/document.c: a request body -> json_t. Picks JSON or YAML from the Content-Type (or
 * from the body's first byte when the client did not say), reads JSON with jansson and hands
 * YAML to yaml.c. Every failure a client caused is -EBADMSG with a line and column.
 *
 * No I/O here, and no Pod rules: whether the document is an object, and a Pod, is pod.c's.
 */
#include "spec.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

static const struct {
	const char *media_type;
	enum spec_format format;
} media_types[] = {
        {"application/json", SPEC_FORMAT_JSON},
        {"application/yaml", SPEC_FORMAT_YAML},
        {"application/x-yaml", SPEC_FORMAT_YAML},
        {"text/yaml", SPEC_FORMAT_YAML},
        /* What `curl --data-binary` sends when not told otherwise. */
        {"application/x-www-form-urlencoded", SPEC_FORMAT_SNIFF},
};

int spec_request_error(struct nano_err *err, int r)
{
	static const struct {
		int errnum;
		enum nano_class class;
	} classes[] = {
	        {EMEDIUMTYPE, NANO_UNSUPPORTED_MEDIA},
	        {EBADMSG, NANO_BAD_REQUEST},
	        {EINVAL, NANO_INVALID},
	        {EMSGSIZE, NANO_TOO_LARGE},
	};

	for (size_t i = 0; r < 0 && err && i < ELEMENTSOF(classes); i++)
		if (err->errnum == classes[i].errnum)
			err->class = classes[i].class;
	return r;
}

static int format_from_content_type(const char *content_type, enum spec_format *out,
                                    struct nano_err *err)
{
	const char *start = content_type ? content_type : "";
	size_t len;
	char shown[101];

	/* "Application/YAML ; charset=utf-8": the parameters say nothing about the format. */
	len = strcspn(start, ";");
	while (len > 0 && isspace((unsigned char)*start)) {
		start++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	if (len == 0) {
		*out = SPEC_FORMAT_SNIFF;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(media_types); i++)
		if (strlen(media_types[i].media_type) == len &&
		    strncasecmp(media_types[i].media_type, start, len) == 0) {
			*out = media_types[i].format;
			return 0;
		}

	/* A header is client text: show a bounded, printable copy of it. */
	len = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;
	for (size_t i = 0; i < len; i++)
		shown[i] = isprint((unsigned char)start[i]) ? start[i] : '?';
	shown[len] = '\0';
	return nano_err_set(err, EMEDIUMTYPE, "unsupported media type \"%s\"", shown);
}

/* Line and column (1-based, columns in characters as jansson counts them) of byte offset. */
static void position(const char *buf, size_t offset, size_t *line, size_t *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			(*column)++;
		}
	}
}

/* jansson would read JSON nested 2048 deep; a Pod never nests past a dozen levels, and nothing
 * after us should have to recurse that far. So: the same bound as for YAML, checked on the bytes
 * before jansson builds anything, along with raw NUL bytes, which JSON does not allow and which
 * would cut a C string short. */
static int json_precheck(const char *buf, size_t len, struct nano_err *err)
{
	const char *nul = memchr(buf, '\0', len);
	bool in_string = false;
	unsigned depth = 0;
	size_t line, column;

	if (nul) {
		position(buf, (size_t)(nul - buf), &line, &column);
		return nano_err_set(err, EBADMSG,
		                    "json: line %zu, column %zu: NUL byte in document", line,
		                    column);
	}
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				in_string = false;
		} else if (buf[i] == '"') {
			in_string = true;
		} else if (buf[i] == '[' || buf[i] == '{') {
			if (++depth > SPEC_YAML_MAX_DEPTH) {
				position(buf, i, &line, &column);
				return nano_err_set(
				        err, EBADMSG,
				        "json: line %zu, column %zu: document nests deeper "
				        "than %d levels",
				        line, column, SPEC_YAML_MAX_DEPTH);
			}
		} else if ((buf[i] == ']' || buf[i] == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

static int json_decode(const char *buf, size_t len, json_t **out, struct nano_err *err)
{
	json_error_t jerr;
	json_t *v;
	int r;

	r = json_precheck(buf, len, err);
	if (r < 0)
		return r;
	/* Any value is a document: that a Pod must be an object is the caller's rule. */
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return nano_err_set(err, ENOMEM, "json: out of memory");
		return nano_err_set(err, EBADMSG, "json: line %d, column %d: %s", jerr.line,
		                    jerr.column, jerr.text);
	}
	*out = v;
	return 0;
}

int spec_format_from_content_type(const char *content_type, enum spec_format *out,
                                  struct nano_err *err)
{
	return spec_request_error(err, format_from_content_type(content_type, out, err));
}

static int document_decode(const char *buf, size_t len, enum spec_format format, json_t **out,
                           struct nano_err *err)
{
	*out = NULL;
	if (!buf)
		buf = "";
	if (format == SPEC_FORMAT_SNIFF) {
		/* As Kubernetes' IsJSONBuffer: JSON when the first non-space byte opens an object
		 * or array; everything else (a byte-order mark too) goes to YAML. A body that looks
		 * like JSON and is broken gets the JSON error, not a confusing YAML one. */
		size_t i = 0;

		while (i < len &&
		       (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
			i++;
		format = i < len && (buf[i] == '{' || buf[i] == '[') ? SPEC_FORMAT_JSON
		                                                     : SPEC_FORMAT_YAML;
	}
	if (format == SPEC_FORMAT_JSON)
		return json_decode(buf, len, out, err);
	return spec_yaml_to_json(buf, len, out, err);
}

int spec_document_decode(const char *buf, size_t len, enum spec_format format, json_t **out,
                         struct nano_err *err)
{
	return spec_request_error(err, document_decode(buf, len, format, out, err));
}
