/* pkg/runtime/signals.c: every signal back to its default disposition, before an execve.
 *
 * An ignored signal stays ignored across execve: the daemon's SIGPIPE, a shell's SIGINT and
 * SIGQUIT for a background job, and GNU make's 32 and 33 (glibc's own, for thread cancellation
 * and setxid) would reach the shim and, through it, every container. glibc's sigaction refuses
 * 32 and 33 (EINVAL), so this is the raw system call, as a fresh process's kernel state is. */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

/* the kernel's struct sigaction (not glibc's): the handler, flags, restorer and a mask of its
 * 64 signals */
#define KERNEL_SIGSET_BYTES 8
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask[KERNEL_SIGSET_BYTES / sizeof(unsigned long)];
};

void runtime_signals_default(void)
{
	const struct kernel_sigaction dfl = {.handler = SIG_DFL};

	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, KERNEL_SIGSET_BYTES);
}
