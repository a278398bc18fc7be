/* tests/fuzz/fuzz_websocket.c: the WebSocket reader (pkg/websocket) over what a client sends
 * after the upgrade of an exec, fed in pieces whose sizes the input chooses, as reads split a
 * stream. Whatever the bytes: no event past an error or a close, a message never larger than
 * the bound, an error always with a close code the RFC names, and the buffer bounded. */
#include "fuzz.h"

#include "websocket/websocket.h"

#define MAX_MESSAGE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_reader r;
	uint32_t h = fuzz_hash(data, size);
	bool ended = false;
	size_t at = 0;

	ws_reader_init(&r, MAX_MESSAGE);
	while (at < size) {
		size_t piece = 1 + h % 97, room;
		uint8_t *space;
		struct ws_event ev;

		h = h * 1103515245 + 12345;
		if (piece > size - at)
			piece = size - at;
		if (ws_reader_space(&r, piece, &space, &room) < 0)
			break; /* full of unread frames: the caller would take events first */
		if (piece > room)
			piece = room;
		memcpy(space, data + at, piece);
		ws_reader_fed(&r, piece);
		at += piece;
		for (ws_reader_next(&r, &ev); ev.kind != WS_EVENT_NONE; ws_reader_next(&r, &ev)) {
			FUZZ_ASSERT(!ended);
			switch (ev.kind) {
			case WS_EVENT_MESSAGE:
				FUZZ_ASSERT(ev.len <= MAX_MESSAGE);
				FUZZ_ASSERT(ev.opcode == WS_OP_TEXT || ev.opcode == WS_OP_BINARY);
				break;
			case WS_EVENT_PING:
			case WS_EVENT_PONG:
				FUZZ_ASSERT(ev.len <= 125);
				break;
			case WS_EVENT_CLOSE:
				ended = true;
				break;
			case WS_EVENT_ERROR:
				FUZZ_ASSERT(ev.close_code == WS_CLOSE_PROTOCOL_ERROR ||
				            ev.close_code == WS_CLOSE_TOO_BIG ||
				            ev.close_code == WS_CLOSE_INTERNAL_ERROR);
				FUZZ_ASSERT(ev.why != NULL);
				ended = true;
				break;
			case WS_EVENT_NONE:
				break;
			}
			if (ev.len)
				FUZZ_ASSERT(ev.data != NULL);
		}
	}
	ws_reader_done(&r);
	return 0;
}
