/* pkg/spec/yaml_emit.c: json_t -> YAML text, what `nanolet explain -o yaml` prints. libyaml's
 * emitter writes it in block style; this file only decides each scalar's style: a string that a
 * YAML 1.1 reader (go-yaml, and yaml.c) would take for a boolean, number or null is quoted, a
 * string of several lines is a literal block, anything else is left to libyaml (plain where
 * YAML allows it). So the text reads back, through spec_yaml_to_json, as the same JSON.
 *
 * No I/O: the text goes into memory.
 */
#include "spec.h"
#include "yaml_internal.h"

#include <inttypes.h>
#include <string.h>

#include <yaml.h>

static int write_out(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, data) == size;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev, int ok)
{
	/* an initializer that failed leaves nothing to emit */
	if (!ok || !yaml_emitter_emit(e, ev))
		return -ENOMEM;
	return 0;
}

static int scalar(yaml_emitter_t *e, const char *s, size_t len, yaml_scalar_style_t style,
                  bool plain)
{
	yaml_event_t ev;

	return emit(e, &ev,
	            yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, plain,
	                                         !plain || style != YAML_PLAIN_SCALAR_STYLE,
	                                         style));
}

static int string(yaml_emitter_t *e, const char *s, size_t len)
{
	if (!yaml_plain_is_string(s, len))
		return scalar(e, s, len, YAML_DOUBLE_QUOTED_SCALAR_STYLE, false);
	if (memchr(s, '\n', len))
		return scalar(e, s, len, YAML_LITERAL_SCALAR_STYLE, false);
	return scalar(e, s, len, YAML_ANY_SCALAR_STYLE, true);
}

static int value(yaml_emitter_t *e, const json_t *v)
{
	yaml_event_t ev;
	char buf[40];
	const char *key;
	json_t *item;
	size_t i;
	int r = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		r = emit(e, &ev,
		         yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                             YAML_BLOCK_MAPPING_STYLE));
		json_object_foreach((json_t *)v, key, item)
		{
			if (r >= 0)
				r = string(e, key, strlen(key));
			if (r >= 0)
				r = value(e, item);
		}
		return r < 0 ? r : emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
	case JSON_ARRAY:
		r = emit(e, &ev,
		         yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                              YAML_BLOCK_SEQUENCE_STYLE));
		json_array_foreach(v, i, item)
		{
			if (r >= 0)
				r = value(e, item);
		}
		return r < 0 ? r : emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
	case JSON_STRING:
		return string(e, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE, true);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		return scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE, true);
	case JSON_TRUE:
		return scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE, true);
	case JSON_FALSE:
		return scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE, true);
	case JSON_NULL:
		return scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE, true);
	}
	return -EINVAL;
}

static void emitter_deletep(yaml_emitter_t **e)
{
	if (*e)
		yaml_emitter_delete(*e);
}

int spec_yaml_from_json(const json_t *v, char **out)
{
	yaml_emitter_t emitter, *e = NULL;
	_cleanup_(emitter_deletep) yaml_emitter_t *owned = NULL;
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	yaml_event_t ev;
	FILE *f;
	int r;

	*out = NULL;
	if (!v)
		return -EINVAL;
	if (!yaml_emitter_initialize(&emitter))
		return -ENOMEM;
	e = owned = &emitter;
	f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	yaml_emitter_set_output(e, write_out, f);
	yaml_emitter_set_unicode(e, 1);
	yaml_emitter_set_indent(e, 2);
	yaml_emitter_set_width(e, -1); /* a sentence stays on its line: grep finds it */
	r = emit(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	if (r >= 0)
		r = emit(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	if (r >= 0)
		r = value(e, v);
	if (r >= 0)
		r = emit(e, &ev, yaml_document_end_event_initialize(&ev, 1));
	if (r >= 0)
		r = emit(e, &ev, yaml_stream_end_event_initialize(&ev));
	if (r >= 0 && !yaml_emitter_flush(e))
		r = -ENOMEM;
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0)
		return r;
	*out = TAKE_PTR(text);
	return 0;
}
