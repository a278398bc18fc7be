/* pkg/runtime/shim_relay.c: one container run's stdout and stderr pipes -> its CRI log file
 * <logDir>/<restart>.log, through pkg/logs' writer (the only place that knows the format).
 *
 * The pipes are non-blocking and polled by the shim's loop; a read hands whatever came to the
 * writer with the time it was read. It must not block, and must not format records itself.
 */
#include <fcntl.h>
#include <string.h>

#include "logs/logs.h"
#include "shim.h"

struct shim_relay {
	int fds[2];
	struct logs_writer *writer;
};

static enum logs_stream logs_stream_of(enum shim_stream s)
{
	return s == SHIM_STDOUT ? LOGS_STDOUT : LOGS_STDERR;
}

struct shim_relay *shim_relay_new(const struct shim_config *config, const struct shim_run *run,
                                  int stdout_fd, int stderr_fd, int *r)
{
	struct logs_writer_config cfg = {
	        .max_size = config->log_max_size > 0 ? (uint64_t)config->log_max_size
	                                             : LOGS_DEFAULT_MAX_SIZE,
	        .max_files = config->log_max_files > 0 ? (unsigned)config->log_max_files
	                                               : LOGS_DEFAULT_MAX_FILES,
	};
	struct nano_err err = {0};
	struct shim_relay *relay = calloc(1, sizeof(*relay));

	if (!relay) {
		close(stdout_fd);
		close(stderr_fd);
		*r = -ENOMEM;
		return NULL;
	}
	relay->fds[SHIM_STDOUT] = stdout_fd;
	relay->fds[SHIM_STDERR] = stderr_fd;
	for (int i = 0; i < 2; i++)
		fcntl(relay->fds[i], F_SETFL, fcntl(relay->fds[i], F_GETFL) | O_NONBLOCK);
	*r = logs_writer_open(run->container->log_dir, (unsigned)run->restart, &cfg, &relay->writer,
	                      &err);
	if (*r < 0) {
		fprintf(stderr, "nanolet-shim: %s\n", err.message ? err.message : strerror(-*r));
		nano_err_clear(&err);
		shim_relay_free(relay);
		return NULL;
	}
	return relay;
}

int shim_relay_fd(const struct shim_relay *relay, enum shim_stream stream)
{
	return relay->fds[stream];
}

int shim_relay_pump(struct shim_relay *relay, enum shim_stream stream)
{
	char buf[65536];
	struct timespec now;
	ssize_t n;

	if (relay->fds[stream] < 0)
		return 0;
	for (;;) {
		n = read(relay->fds[stream], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		clock_gettime(CLOCK_REALTIME, &now);
		if (n <= 0) {
			/* EOF (or a broken pipe): a last unfinished line becomes a record. */
			logs_writer_close_stream(relay->writer, logs_stream_of(stream), &now);
			return 0;
		}
		/* The writer's error is the log's loss, not the container's: carry on. */
		logs_writer_write(relay->writer, logs_stream_of(stream), buf, (size_t)n, &now);
	}
}

void shim_relay_close_stream(struct shim_relay *relay, enum shim_stream stream)
{
	if (relay->fds[stream] >= 0)
		relay->fds[stream] = (close(relay->fds[stream]), -1);
}

void shim_relay_drain(struct shim_relay *relay)
{
	for (int s = SHIM_STDOUT; s <= SHIM_STDERR; s++)
		shim_relay_pump(relay, s);
}

void shim_relay_free(struct shim_relay *relay)
{
	if (!relay)
		return;
	for (int s = SHIM_STDOUT; s <= SHIM_STDERR; s++)
		shim_relay_close_stream(relay, s);
	logs_writer_free(relay->writer);
	free(relay);
}
