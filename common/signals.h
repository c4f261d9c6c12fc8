/*
 * signals.h - SIGINT, SIGTERM and SIGHUP only record that they came; the
 * stage's loops look at signal_caught between steps and wind down in order
 * (spec guarantee 9).  Handlers are installed without SA_RESTART, so a
 * blocking wait returns EINTR and the loop looks at once.  SIGPIPE is
 * ignored: a write to a closed pipe then fails with EPIPE, which the
 * writer handles.
 */
#ifndef CSVPACK_SIGNALS_H
#define CSVPACK_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t signal_caught;

/* Returns 0, or -1 with errno set. */
int signals_install(void);

#endif
