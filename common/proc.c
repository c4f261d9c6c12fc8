/*
 * proc.c - process identity from /proc/PID/stat.
 *
 * The second field, the command name, is in parentheses and may itself
 * contain spaces and ')': the fields after it are found from the LAST ')'.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysio.h"

/* Reads the state letter and start time of pid.  Returns 0, or -1 with
 * errno ESRCH when there is no such process, another errno when its
 * /proc entry cannot be read (then nobody can tell whether it lives). */
static int
read_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field, saved;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return errno == ENOENT ? (errno = ESRCH, -1) : -1;
	n = read_full(fd, buf, sizeof(buf) - 1);
	saved = errno;
	sys_close(fd);
	if (n < 0)
		return errno = saved, -1;  /* ESRCH if it exited meanwhile */
	if (n == 0)
		return errno = ESRCH, -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return errno = EPROTO, -1;
	*state = p[2];
	/* p + 2 is field 3 (state); walk to field 22. */
	p += 2;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return errno = EPROTO, -1;
		p++;
	}
	errno = 0;
	*start = strtoull(p, &end, 10);
	if (errno || end == p)
		return errno = EPROTO, -1;
	return 0;
}

uint64_t
proc_start_time(pid_t pid)
{
	char state;
	uint64_t start;

	return read_stat(pid, &state, &start) < 0 ? 0 : start;
}

int
proc_alive(pid_t pid, uint64_t start_time)
{
	char state;
	uint64_t start;

	if (pid <= 0)
		return 0;
	if (read_stat(pid, &state, &start) < 0)
		return errno == ESRCH ? 0 : -1;
	if (state == 'Z' || state == 'X')
		return 0;
	return start == start_time;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
