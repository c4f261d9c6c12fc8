/*
 * signals.c - see signals.h.
 */
#include "signals.h"

#include <string.h>

volatile sig_atomic_t signal_caught;

static void
on_signal(int sig)
{
	if (!signal_caught)
		signal_caught = sig;
}

int
signals_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	/* A write past RLIMIT_FSIZE then fails with EFBIG, reported like a
	 * full disk, instead of killing the stage. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGXFSZ, &sa, NULL) < 0)
		return -1;
	return sigaction(SIGPIPE, &sa, NULL);
}
