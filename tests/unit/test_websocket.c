/* tests/unit/test_websocket.c: pkg/websocket against RFC 6455: the handshake's accept key (the
 * RFC's own example), the header tokens, server frame headers at each length boundary, and the
 * reader: frames masked as a client sends them, whole, split byte by byte, fragmented, with
 * control frames between fragments, and every violation a client can commit with the close
 * code the RFC names.
 */
#include "check_main.h"
#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "websocket/websocket.h"

/* ---- the handshake ------------------------------------------------------------------------ */

START_TEST(accept_key_rfc_example)
{
	char out[WS_ACCEPT_LEN + 1];

	/* RFC 6455 1.3 */
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

static const char *const bad_keys[] = {
        "",                             /* none */
        "dGhlIHNhbXBsZSBub25jZQ",       /* unpadded: 22 characters */
        "dGhlIHNhbXBsZSBub25jZQ===",    /* 25 */
        "dGhlIHNhbXBsZSBub25j!Q==",     /* not base64 */
        "dGhlIHNhbXBsZSBub25jZWFh",     /* 24 characters, 18 bytes */
        "dGhlIHNhbXBsZSBub25jZQ== ",    /* trailing space */
        "aGVsbG8gd29ybGQgaGVsbG8gd29y", /* 28 characters */
};

START_TEST(accept_key_refuses)
{
	char out[WS_ACCEPT_LEN + 1];

	ck_assert_msg(ws_accept_key(bad_keys[_i], out) == -EINVAL, "key \"%s\" taken",
	              bad_keys[_i]);
	ck_assert_int_eq(ws_accept_key(NULL, out), -EINVAL);
}
END_TEST

static const struct {
	const char *value, *token;
	bool has;
} tokens[] = {
        {"Upgrade", "upgrade", true},
        {"keep-alive, Upgrade", "upgrade", true},
        {"keep-alive,Upgrade ", "upgrade", true},
        {"  upgrade  ,close", "Upgrade", true},
        {"Upgraded", "upgrade", false},
        {"keep-alive", "upgrade", false},
        {"", "upgrade", false},
        {"websocket", "websocket", true},
        {"h2c, WebSocket", "websocket", true},
};

START_TEST(header_tokens)
{
	ck_assert_msg(ws_header_has_token(tokens[_i].value, tokens[_i].token) == tokens[_i].has,
	              "\"%s\" has \"%s\"", tokens[_i].value, tokens[_i].token);
}
END_TEST

/* ---- server frames ------------------------------------------------------------------------ */

static const struct {
	uint64_t len;
	size_t header_len;
	uint8_t header[WS_HEADER_MAX];
} headers[] = {
        {0, 2, {0x82, 0}},
        {125, 2, {0x82, 125}},
        {126, 4, {0x82, 126, 0, 126}},
        {65535, 4, {0x82, 126, 0xff, 0xff}},
        {65536, 10, {0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
        {(uint64_t)1 << 40, 10, {0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0}},
};

START_TEST(frame_headers)
{
	uint8_t h[WS_HEADER_MAX];
	size_t n = ws_frame_header(h, WS_OP_BINARY, headers[_i].len);

	ck_assert_uint_eq(n, headers[_i].header_len);
	ck_assert_mem_eq(h, headers[_i].header, n);
}
END_TEST

/* ---- the reader --------------------------------------------------------------------------- */

static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A client frame: first byte b0 (FIN, RSV, opcode), masked unless unmasked. Returns its length. */
static size_t client_frame(uint8_t *out, uint8_t b0, const void *payload, size_t len, bool unmasked)
{
	size_t n = 0;

	out[n++] = b0;
	if (len < 126) {
		out[n++] = (unmasked ? 0 : 0x80) | (uint8_t)len;
	} else if (len <= 0xffff) {
		out[n++] = (unmasked ? 0 : 0x80) | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = (unmasked ? 0 : 0x80) | 127;
		for (int i = 0; i < 8; i++)
			out[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (!unmasked) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[n + i] = ((const uint8_t *)payload)[i] ^ (unmasked ? 0 : mask[i & 3]);
	return n + len;
}

static struct ws_reader reader;

static void reader_setup(void)
{
	ws_reader_init(&reader, 70000);
}

static void reader_teardown(void)
{
	ws_reader_done(&reader);
}

START_TEST(one_message)
{
	uint8_t f[64];
	struct ws_event ev;
	size_t n = client_frame(f, 0x82, "\0hello", 6, false);

	ck_assert_int_eq(ws_reader_feed(&reader, f, n), 0);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_MESSAGE);
	ck_assert_int_eq(ev.opcode, WS_OP_BINARY);
	ck_assert_uint_eq(ev.len, 6);
	ck_assert_mem_eq(ev.data, "\0hello", 6);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_NONE);
}
END_TEST

/* Every length encoding, fed one byte at a time: nothing comes out before the last byte. */
static const size_t split_lengths[] = {0, 1, 125, 126, 65535, 65536};

START_TEST(byte_by_byte)
{
	size_t len = split_lengths[_i];
	uint8_t *payload = malloc(len + 1), *f = malloc(len + 14);
	struct ws_event ev;
	size_t n;

	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7);
	n = client_frame(f, 0x82, payload, len, false);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(ws_reader_feed(&reader, f + i, 1), 0);
		ws_reader_next(&reader, &ev);
		if (i + 1 < n)
			ck_assert_int_eq(ev.kind, WS_EVENT_NONE);
	}
	ck_assert_int_eq(ev.kind, WS_EVENT_MESSAGE);
	ck_assert_uint_eq(ev.len, len);
	if (len)
		ck_assert_mem_eq(ev.data, payload, len);
	free(payload);
	free(f);
}
END_TEST

/* A message in three fragments, a ping between them: the ping first, then the message whole. */
START_TEST(fragments_and_ping_between)
{
	uint8_t f[256];
	size_t n = 0;
	struct ws_event ev;

	n += client_frame(f + n, 0x02, "\1ab", 3, false); /* binary, not FIN */
	n += client_frame(f + n, 0x89, "hi", 2, false);   /* ping */
	n += client_frame(f + n, 0x00, "cd", 2, false);   /* continuation */
	n += client_frame(f + n, 0x80, "e", 1, false);    /* continuation, FIN */
	n += client_frame(f + n, 0x82, "\0x", 2, false);  /* another message */
	ck_assert_int_eq(ws_reader_feed(&reader, f, n), 0);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_PING);
	ck_assert_uint_eq(ev.len, 2);
	ck_assert_mem_eq(ev.data, "hi", 2);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_MESSAGE);
	ck_assert_int_eq(ev.opcode, WS_OP_BINARY);
	ck_assert_uint_eq(ev.len, 6);
	ck_assert_mem_eq(ev.data, "\1abcde", 6);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_MESSAGE);
	ck_assert_mem_eq(ev.data, "\0x", 2);
}
END_TEST

/* An empty first fragment (the fuzzer's find: nothing held yet, nothing to add) */
START_TEST(empty_first_fragment)
{
	uint8_t f[64];
	size_t n = 0;
	struct ws_event ev;

	n += client_frame(f + n, 0x02, "", 0, false);
	n += client_frame(f + n, 0x00, "", 0, false);
	n += client_frame(f + n, 0x80, "\0ab", 3, false);
	ck_assert_int_eq(ws_reader_feed(&reader, f, n), 0);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_MESSAGE);
	ck_assert_uint_eq(ev.len, 3);
	ck_assert_mem_eq(ev.data, "\0ab", 3);
}
END_TEST

START_TEST(close_with_code)
{
	uint8_t f[64];
	struct ws_event ev;
	size_t n = client_frame(f, 0x88,
	                        "\x03\xe8"
	                        "bye",
	                        5, false);

	n += client_frame(f + n, 0x82, "\0late", 5, false);
	ck_assert_int_eq(ws_reader_feed(&reader, f, n), 0);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_CLOSE);
	ck_assert_uint_eq(ev.close_code, 1000);
	ck_assert_uint_eq(ev.len, 3);
	ck_assert_mem_eq(ev.data, "bye", 3);
	/* nothing after a close */
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_NONE);
}
END_TEST

START_TEST(close_without_code)
{
	uint8_t f[16];
	struct ws_event ev;
	size_t n = client_frame(f, 0x88, "", 0, false);

	ck_assert_int_eq(ws_reader_feed(&reader, f, n), 0);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_CLOSE);
	ck_assert_uint_eq(ev.close_code, 1005);
}
END_TEST

/* What a client may not send, each with its close code. */
static const struct {
	const char *name;
	uint8_t b0;
	size_t len;
	bool unmasked;
	bool after_fragment; /* sent after a first fragment of a binary message */
	uint16_t code;
} violations[] = {
        {"unmasked", 0x82, 3, true, false, WS_CLOSE_PROTOCOL_ERROR},
        {"reserved bit 1", 0xc2, 3, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"reserved bit 3", 0x92, 3, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"opcode 3", 0x83, 3, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"opcode 0xb", 0x8b, 3, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"fragmented ping", 0x09, 3, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"ping of 126 bytes", 0x89, 126, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"close of one byte", 0x88, 1, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"continuation first", 0x80, 3, false, false, WS_CLOSE_PROTOCOL_ERROR},
        {"message inside a message", 0x82, 3, false, true, WS_CLOSE_PROTOCOL_ERROR},
        {"frame over the limit", 0x82, 70001, false, false, WS_CLOSE_TOO_BIG},
        {"fragments over the limit", 0x80, 69999, false, true, WS_CLOSE_TOO_BIG},
};

START_TEST(protocol_violations)
{
	size_t len = violations[_i].len;
	uint8_t *payload = calloc(1, len + 1), *f = malloc(len + 32);
	struct ws_event ev;
	size_t n = 0;

	if (violations[_i].after_fragment)
		n += client_frame(f, 0x02, "\0ab", 3, false);
	n += client_frame(f + n, violations[_i].b0, payload, len, violations[_i].unmasked);
	/* the header alone says what is wrong: the reader need not hold the payload */
	ck_assert_int_eq(ws_reader_feed(&reader, f, n - len + (len > 200 ? 0 : len)), 0);
	ws_reader_next(&reader, &ev);
	ck_assert_msg(ev.kind == WS_EVENT_ERROR, "%s: not refused (%d)", violations[_i].name,
	              ev.kind);
	ck_assert_uint_eq(ev.close_code, violations[_i].code);
	ck_assert_ptr_nonnull(ev.why);
	ws_reader_next(&reader, &ev);
	ck_assert_int_eq(ev.kind, WS_EVENT_NONE);
	free(payload);
	free(f);
}
END_TEST

/* A peer cannot make the reader hold more than a message and a read past the bound. */
START_TEST(buffer_is_bounded)
{
	uint8_t *space;
	size_t len, total = 0;
	int r;

	while ((r = ws_reader_space(&reader, 65536, &space, &len)) == 0) {
		memset(space, 0, len);
		ws_reader_fed(&reader, len);
		total += len;
		ck_assert_uint_le(total, 70000 + 14 + 4096);
	}
	ck_assert_int_eq(r, -ENOBUFS);
}
END_TEST

static Suite *websocket_suite(void)
{
	Suite *s = suite_create("websocket");
	TCase *tc = tcase_create("handshake");

	tcase_add_test(tc, accept_key_rfc_example);
	tcase_add_loop_test(tc, accept_key_refuses, 0, (int)ELEMENTSOF(bad_keys));
	tcase_add_loop_test(tc, header_tokens, 0, (int)ELEMENTSOF(tokens));
	tcase_add_loop_test(tc, frame_headers, 0, (int)ELEMENTSOF(headers));
	suite_add_tcase(s, tc);
	tc = tcase_create("reader");
	tcase_add_checked_fixture(tc, reader_setup, reader_teardown);
	tcase_add_test(tc, one_message);
	tcase_add_loop_test(tc, byte_by_byte, 0, (int)ELEMENTSOF(split_lengths));
	tcase_add_test(tc, fragments_and_ping_between);
	tcase_add_test(tc, empty_first_fragment);
	tcase_add_test(tc, close_with_code);
	tcase_add_test(tc, close_without_code);
	tcase_add_loop_test(tc, protocol_violations, 0, (int)ELEMENTSOF(violations));
	tcase_add_test(tc, buffer_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(websocket_suite());
}
