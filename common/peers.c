/*
 * peers.c - see peers.h.
 */
#include "peers.h"

#include <errno.h>
#include <time.h>

#include "fail.h"
#include "msg.h"
#include "proc.h"
#include "signals.h"

int
pipeline_wait_attached(struct pipeline *p)
{
	const struct timespec slice = { 0, 100 * 1000 * 1000 };
	int s, missing;

	for (;;) {
		missing = 0;
		for (s = 0; s < STAGE_COUNT; s++)
			if (s != (int)p->self &&
			    atomic_load(&p->sh->stage[s].pid) == 0)
				missing = 1;
		if (!missing)
			return 0;
		pipeline_stop_signal(p);
		if (pipeline_check_peers(p) < 0)
			return -1;
		nanosleep(&slice, NULL);
	}
}

int
pipeline_wait_failed(struct pipeline *p)
{
	int sig = pipeline_stop_signal(p);

	if (sig && !p->peer_died)
		return fail_note_stop(sig);
	return fail_note(p->peer_died ? FAIL_PEER : FAIL_SYS);
}

/* Stage s has not attached yet.  It will not come if the launcher that
 * should start it is dead or the attach timeout has passed; and a stop
 * request need not wait for it.  Returns -1 in those cases. */
static int
missing_peer(struct pipeline *p, enum stage s, int orphan)
{
	if (orphan) {
		msg_warn("the launcher died before the %s started",
		    stage_name(s));
		p->peer_died = 1;
		return -1;
	}
	if (p->attach_deadline_ms && now_ms() >= p->attach_deadline_ms) {
		msg_warn("no %s joined pipeline %s within %u s "
		    "(--attach-timeout)", stage_name(s), p->names.name,
		    p->attach_timeout_s);
		p->peer_died = 1;
		return -1;
	}
	if (atomic_load(&p->sh->stop)) {
		if (!p->told_missing++)
			msg_info("stopping: no %s joined pipeline %s",
			    stage_name(s), p->names.name);
		return -1;
	}
	return 0;
}

int
pipeline_check_peers(struct pipeline *p)
{
	struct pipeline_shared *sh = p->sh;
	int s, orphan, alive;

	atomic_store(&sh->stage[p->self].heartbeat_ms, now_ms());
	orphan = p->launcher_pid && !proc_alive(p->launcher_pid, p->launcher_start);
	for (s = 0; s < STAGE_COUNT; s++) {
		struct stage_slot *slot = &sh->stage[s];
		pid_t pid = (pid_t)atomic_load(&slot->pid);
		int state = atomic_load(&slot->state);

		if (s != (int)p->self && pid == 0 &&
		    missing_peer(p, (enum stage)s, orphan) < 0)
			return -1;
		if (s == (int)p->self || pid == 0 || state == STAGE_DONE)
			continue;
		if (state == STAGE_FAILED) {
			msg_warn("the %s (pid %ld) failed", stage_name(s),
			    (long)pid);
			p->peer_died = 1;
			return -1;
		}
		alive = proc_alive(pid, atomic_load(&slot->start_time));
		if (alive < 0) {
			fail_sys("/proc/%ld/stat (the %s)", (long)pid,
			    stage_name(s));
			return -1;
		}
		if (!alive) {
			msg_warn("the %s (pid %ld) died", stage_name(s),
			    (long)pid);
			p->peer_died = 1;
			return -1;
		}
	}
	return 0;
}

int
pipeline_stop_signal(struct pipeline *p)
{
	uint32_t zero = 0;

	if (signal_caught)
		atomic_compare_exchange_strong(&p->sh->stop, &zero,
		    (uint32_t)signal_caught);
	return (int)atomic_load(&p->sh->stop);
}

void
pipeline_doing(struct pipeline *p, enum stage_doing what)
{
	atomic_store_explicit(&p->sh->stage[p->self].doing, what,
	    memory_order_relaxed);
}

static int
ring_idle(void *arg)
{
	struct pipeline *p = arg;

	pipeline_doing(p, DOING_WAITING_RING);
	if (pipeline_check_peers(p) < 0)
		return 1;
	if (p->deadline_ms && now_ms() >= p->deadline_ms) {
		p->deadline_hit = 1;
		return 1;
	}
	return p->interruptible && pipeline_stop_signal(p);
}

int
pipeline_push(struct pipeline *p, uint32_t type, const void *data, size_t len)
{
	int rc = ring_push(&p->ring, type, data, len, PIPELINE_SLICE_MS,
	    ring_idle, p);

	pipeline_doing(p, DOING_WORKING);
	return rc;
}

int
pipeline_peek(struct pipeline *p, struct ring_rec *rec)
{
	int rc = ring_peek(&p->ring, rec, PIPELINE_SLICE_MS, ring_idle, p);

	pipeline_doing(p, DOING_WORKING);
	return rc;
}

int
pipeline_wait_event(struct pipeline *p, int ev)
{
	int rc;

	pipeline_doing(p, DOING_WAITING_PEER);
	for (;;) {
		rc = event_wait(&p->ev[ev], PIPELINE_SLICE_MS);
		if (rc == 0)
			return 0;
		if (rc != ETIMEDOUT && rc != EINTR) {
			errno = rc;
			return fail_sys("sem_clockwait %s", p->names.ev[ev]);
		}
		pipeline_stop_signal(p);
		if (pipeline_check_peers(p) < 0)
			return -1;
	}
}
