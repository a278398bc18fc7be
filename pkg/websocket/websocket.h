/* pkg/websocket: the server's side of RFC 6455 WebSocket framing, pure (no I/O): the opening
 * handshake's accept key, a reader that turns the bytes a client sent into messages and control
 * frames, and the header of a frame the server sends. What the messages mean (Kubernetes'
 * channel protocols for exec) is the daemon's; how the bytes move is the caller's loop.
 *
 * The reader holds a client to RFC 6455: every frame masked (5.1), no reserved bits without an
 * extension (none is negotiated), control frames of at most 125 bytes and never fragmented
 * (5.5), continuation frames only inside a fragmented message (5.4), and a bound on a message's
 * size of the caller's choosing (a peer may not make the daemon hold more). A violation ends the
 * connection with the close code the RFC names (1002, 1009). Text messages are not checked for
 * UTF-8: the channel protocols carry bytes either way.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* RFC 6455 1.3 */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* base64 of a SHA-1 digest: 28 characters */
#define WS_ACCEPT_LEN 28
/* a server frame's header: 2 bytes, and 8 of extended length at most */
#define WS_HEADER_MAX 10

/* Close codes (RFC 6455 7.4.1) */
#define WS_CLOSE_NORMAL         1000
#define WS_CLOSE_GOING_AWAY     1001
#define WS_CLOSE_PROTOCOL_ERROR 1002
#define WS_CLOSE_TOO_BIG        1009
#define WS_CLOSE_INTERNAL_ERROR 1011

enum ws_opcode {
	WS_OP_CONTINUATION = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key: base64(SHA-1(key + WS_GUID)).
 * -EINVAL when key is not the base64 of 16 bytes (RFC 6455 4.1), as a server must refuse it. */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* Whether a comma-separated header value (Connection, Upgrade) lists token, case-insensitively,
 * as "Connection: keep-alive, Upgrade" does. */
bool ws_header_has_token(const char *value, const char *token);

/* Writes the header of an unmasked frame with FIN set (the server never fragments) carrying len
 * bytes; returns its length. */
size_t ws_frame_header(uint8_t header[WS_HEADER_MAX], enum ws_opcode opcode, uint64_t len);

/* ---- reading what a client sends ---------------------------------------------------------- */

enum ws_event_kind {
	WS_EVENT_NONE,    /* nothing whole yet: feed more */
	WS_EVENT_MESSAGE, /* a whole text or binary message */
	WS_EVENT_PING,    /* answer with a pong carrying data */
	WS_EVENT_PONG,
	WS_EVENT_CLOSE, /* the client closes: close_code (1005 when it gave none) */
	WS_EVENT_ERROR, /* the client broke the protocol: close with close_code, then hang up */
};

struct ws_event {
	enum ws_event_kind kind;
	enum ws_opcode opcode; /* WS_EVENT_MESSAGE: text or binary */
	const uint8_t *data;   /* borrowed until the next call on the reader */
	size_t len;
	uint16_t close_code;
	const char *why; /* WS_EVENT_ERROR: what was wrong, for the log */
};

struct ws_reader {
	size_t max_message; /* the largest message (and frame) taken: past it WS_CLOSE_TOO_BIG */
	uint8_t *buf;       /* bytes fed and not consumed */
	size_t len, cap, start;
	uint8_t *message; /* a fragmented message being put together */
	size_t message_len, message_cap;
	enum ws_opcode message_opcode; /* WS_OP_CONTINUATION: none under way */
	bool failed;                   /* an error was reported: nothing more is read */
};

void ws_reader_init(struct ws_reader *r, size_t max_message);
void ws_reader_done(struct ws_reader *r);
/* Room for at least want more bytes at *space (at most the bound's worth are buffered: the
 * caller reads into it, then calls ws_reader_fed). -ENOMEM; -ENOBUFS while the buffer holds a
 * whole frame's worth unread (take the events first). */
int ws_reader_space(struct ws_reader *r, size_t want, uint8_t **space, size_t *len);
void ws_reader_fed(struct ws_reader *r, size_t n);
/* Copies data in (tests, fuzzers): ws_reader_space + memcpy + ws_reader_fed. */
int ws_reader_feed(struct ws_reader *r, const void *data, size_t len);
/* The next event out of what was fed; WS_EVENT_NONE when more bytes are needed. After an
 * WS_EVENT_ERROR or WS_EVENT_CLOSE, every call returns WS_EVENT_NONE. */
void ws_reader_next(struct ws_reader *r, struct ws_event *ev);
