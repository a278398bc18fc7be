/* pkg/util/log.c: one line per message with its level, to stderr, or to the journal (with the
 * matching syslog priority) when the daemon runs under systemd. */
#include "util.h"

#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static bool to_journal;

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

static const int level_priority[] = {
        [LOG_LEVEL_ERROR] = LOG_ERR,
        [LOG_LEVEL_WARNING] = LOG_WARNING,
        [LOG_LEVEL_INFO] = LOG_INFO,
        [LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_set_level(enum log_level level)
{
	max_level = level;
}

void log_set_journal(bool on)
{
	to_journal = on;
}

int log_level_from_string(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -EINVAL;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	if (to_journal) {
		sd_journal_printv(level_priority[level], fmt, ap);
	} else {
		flockfile(stderr);
		fprintf(stderr, "nanoletd[%d]: %s: ", (int)getpid(), level_names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
	errno = saved;
}
