/* pkg/websocket/websocket.c: RFC 6455 framing for the server side (websocket.h). Pure: the
 * caller moves the bytes. SHA-1 and base64 for the handshake are GnuTLS's, which
 * libmicrohttpd already brings. */
#include "websocket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* a client frame's header at most: 2 bytes, 8 of extended length, 4 of mask */
#define CLIENT_HEADER_MAX 14
/* what one read may add beyond a whole frame */
#define READ_CHUNK 4096
/* RFC 6455 5.5: a control frame's payload */
#define CONTROL_MAX 125
/* RFC 6455 7.1.5: no status code was present */
#define CLOSE_NO_STATUS 1005

int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	uint8_t digest[20];
	gnutls_datum_t in, decoded = {0}, encoded = {0};
	size_t key_len;
	char *text;
	int r;

	if (!key)
		return -EINVAL;
	key_len = strlen(key);
	/* 16 bytes in base64 are 24 characters */
	in = (gnutls_datum_t){.data = (unsigned char *)key, .size = (unsigned)key_len};
	if (key_len != 24 || gnutls_base64_decode2(&in, &decoded) < 0)
		return -EINVAL;
	r = decoded.size == 16 ? 0 : -EINVAL;
	gnutls_free(decoded.data);
	if (r < 0)
		return r;
	text = malloc(key_len + sizeof(WS_GUID));
	if (!text)
		return -ENOMEM;
	memcpy(text, key, key_len);
	memcpy(text + key_len, WS_GUID, sizeof(WS_GUID));
	r = gnutls_hash_fast(GNUTLS_DIG_SHA1, text, key_len + sizeof(WS_GUID) - 1, digest);
	free(text);
	if (r < 0)
		return -EIO;
	in = (gnutls_datum_t){.data = digest, .size = sizeof(digest)};
	if (gnutls_base64_encode2(&in, &encoded) < 0)
		return -ENOMEM;
	r = encoded.size == WS_ACCEPT_LEN ? 0 : -EIO;
	if (r == 0) {
		memcpy(out, encoded.data, WS_ACCEPT_LEN);
		out[WS_ACCEPT_LEN] = '\0';
	}
	gnutls_free(encoded.data);
	return r;
}

bool ws_header_has_token(const char *value, const char *token)
{
	size_t n = strlen(token);

	while (value && *value) {
		size_t len;

		value += strspn(value, " \t,");
		len = strcspn(value, ",");
		while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(value, token, n) == 0)
			return true;
		value += strcspn(value, ",");
	}
	return false;
}

size_t ws_frame_header(uint8_t header[WS_HEADER_MAX], enum ws_opcode opcode, uint64_t len)
{
	header[0] = 0x80 | (uint8_t)opcode;
	if (len < 126) {
		header[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		header[1] = 126;
		header[2] = (uint8_t)(len >> 8);
		header[3] = (uint8_t)len;
		return 4;
	}
	header[1] = 127;
	for (int i = 0; i < 8; i++)
		header[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

/* ---- the reader --------------------------------------------------------------------------- */

void ws_reader_init(struct ws_reader *r, size_t max_message)
{
	*r = (struct ws_reader){.max_message = max_message, .message_opcode = WS_OP_CONTINUATION};
}

void ws_reader_done(struct ws_reader *r)
{
	free(r->buf);
	free(r->message);
	ws_reader_init(r, r->max_message);
}

int ws_reader_space(struct ws_reader *r, size_t want, uint8_t **space, size_t *len)
{
	size_t held = r->len - r->start, bound = r->max_message + CLIENT_HEADER_MAX + READ_CHUNK;

	if (held >= bound)
		return -ENOBUFS;
	if (want > bound - held)
		want = bound - held;
	if (r->start > 0) { /* what was consumed goes: the rest to the front */
		memmove(r->buf, r->buf + r->start, held);
		r->len = held;
		r->start = 0;
	}
	if (r->cap - r->len < want) {
		size_t cap = r->cap ? r->cap : READ_CHUNK;
		uint8_t *grown;

		while (cap - r->len < want)
			cap *= 2;
		grown = realloc(r->buf, cap);
		if (!grown)
			return -ENOMEM;
		r->buf = grown;
		r->cap = cap;
	}
	*space = r->buf + r->len;
	*len = r->cap - r->len < bound - held ? r->cap - r->len : bound - held;
	return 0;
}

void ws_reader_fed(struct ws_reader *r, size_t n)
{
	r->len += n;
}

int ws_reader_feed(struct ws_reader *r, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		uint8_t *space;
		size_t room, n;
		int ret = ws_reader_space(r, len, &space, &room);

		if (ret < 0)
			return ret;
		n = room < len ? room : len;
		memcpy(space, p, n);
		ws_reader_fed(r, n);
		p += n;
		len -= n;
	}
	return 0;
}

static void fail(struct ws_reader *r, struct ws_event *ev, uint16_t code, const char *why)
{
	r->failed = true;
	*ev = (struct ws_event){.kind = WS_EVENT_ERROR, .close_code = code, .why = why};
}

static int message_append(struct ws_reader *r, const uint8_t *data, size_t len)
{
	if (len == 0) /* an empty fragment: nothing to hold (and maybe nothing held yet) */
		return 0;
	if (r->message_cap - r->message_len < len) {
		size_t cap = r->message_cap ? r->message_cap : 256;
		uint8_t *grown;

		while (cap - r->message_len < len)
			cap *= 2;
		grown = realloc(r->message, cap);
		if (!grown)
			return -ENOMEM;
		r->message = grown;
		r->message_cap = cap;
	}
	memcpy(r->message + r->message_len, data, len);
	r->message_len += len;
	return 0;
}

/* One frame's control event (ping, pong, close). */
static void control(struct ws_reader *r, enum ws_opcode opcode, const uint8_t *payload, size_t len,
                    struct ws_event *ev)
{
	if (opcode == WS_OP_PING || opcode == WS_OP_PONG) {
		*ev = (struct ws_event){.kind = opcode == WS_OP_PING ? WS_EVENT_PING
		                                                     : WS_EVENT_PONG,
		                        .data = payload,
		                        .len = len};
		return;
	}
	if (len == 1)
		return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "a close frame of one byte");
	r->failed = true; /* nothing is read after a close */
	*ev = (struct ws_event){
	        .kind = WS_EVENT_CLOSE,
	        .close_code = len >= 2 ? (uint16_t)(payload[0] << 8 | payload[1]) : CLOSE_NO_STATUS,
	        .data = len > 2 ? payload + 2 : NULL,
	        .len = len > 2 ? len - 2 : 0,
	};
}

void ws_reader_next(struct ws_reader *r, struct ws_event *ev)
{
	for (;;) {
		const uint8_t *p = r->buf + r->start;
		size_t held = r->len - r->start, header = 2;
		uint64_t len;
		enum ws_opcode opcode;
		uint8_t *payload;
		bool fin;

		*ev = (struct ws_event){.kind = WS_EVENT_NONE};
		if (r->failed || held < 2)
			return;
		fin = p[0] & 0x80;
		opcode = p[0] & 0x0f;
		if (p[0] & 0x70)
			return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "reserved bits set");
		if (!(p[1] & 0x80))
			return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR,
			            "an unmasked frame from a client");
		len = p[1] & 0x7f;
		if (len == 126) {
			header += 2;
			if (held < header)
				return;
			len = (uint64_t)p[2] << 8 | p[3];
		} else if (len == 127) {
			header += 8;
			if (held < header)
				return;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
		}
		switch (opcode) {
		case WS_OP_CLOSE:
		case WS_OP_PING:
		case WS_OP_PONG:
			if (!fin || len > CONTROL_MAX)
				return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR,
				            "a fragmented or oversized control frame");
			break;
		case WS_OP_CONTINUATION:
			if (r->message_opcode == WS_OP_CONTINUATION)
				return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR,
				            "a continuation frame outside a message");
			break;
		case WS_OP_TEXT:
		case WS_OP_BINARY:
			if (r->message_opcode != WS_OP_CONTINUATION)
				return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR,
				            "a new message inside a fragmented one");
			break;
		default:
			return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "an unknown opcode");
		}
		if (len > r->max_message ||
		    (opcode == WS_OP_CONTINUATION && len > r->max_message - r->message_len))
			return fail(r, ev, WS_CLOSE_TOO_BIG, "a message larger than the limit");
		header += 4; /* the mask */
		if (held < header || held - header < len)
			return;
		payload = r->buf + r->start + header;
		for (uint64_t i = 0; i < len; i++)
			payload[i] ^= p[header - 4 + (i & 3)];
		r->start += header + len;

		if (opcode >= WS_OP_CLOSE)
			return control(r, opcode, payload, len, ev);
		if (opcode != WS_OP_CONTINUATION && fin) { /* the common case: one frame */
			*ev = (struct ws_event){.kind = WS_EVENT_MESSAGE,
			                        .opcode = opcode,
			                        .data = payload,
			                        .len = len};
			return;
		}
		if (opcode != WS_OP_CONTINUATION) {
			r->message_opcode = opcode;
			r->message_len = 0;
		}
		if (message_append(r, payload, len) < 0)
			return fail(r, ev, WS_CLOSE_INTERNAL_ERROR, "out of memory");
		if (fin) {
			*ev = (struct ws_event){.kind = WS_EVENT_MESSAGE,
			                        .opcode = r->message_opcode,
			                        .data = r->message,
			                        .len = r->message_len};
			r->message_opcode = WS_OP_CONTINUATION;
			return;
		}
		/* a fragment taken: on to the next frame */
	}
}
