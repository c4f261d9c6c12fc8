/*
 * inject.c - an LD_PRELOAD shim that makes one chosen libc call fail.
 *
 *   cc -std=c11 -shared -fPIC -o inject.so inject.c -ldl
 *   INJECT_STAGE=csvpack-converter INJECT_FUNC=write INJECT_NTH=7 \
 *   INJECT_ERRNO=EIO INJECT_LOG=/tmp/log LD_PRELOAD=$PWD/inject.so cmd...
 *
 * Environment:
 *   INJECT_STAGE=PROG    act only in a process whose argv[0] basename is
 *                        PROG (/proc/self/comm when argv[0] is unknown);
 *                        unset: every process
 *   INJECT_SKIP_ARGS=A,B stay inert in a process with an argument equal to
 *                        one of these (e.g. --cleanup)
 *   INJECT_FUNC=NAME     the function to fail (see FUNCS below)
 *   INJECT_NTH=N         its Nth call (1-based) in the process fails;
 *                        "N+" fails the Nth and every later call on a
 *                        regular file other than 0-2, or without a
 *                        descriptor (so that messages still get out);
 *                        only the first failure is logged
 *   INJECT_ERRNO=E       EIO, ENOSPC, ENOMEM, EINTR, EAGAIN, ... or a number
 *   INJECT_MODE=short    read/write/pread/pwrite (and variants): the call
 *                        moves half of what was asked (at least 1 byte)
 *                        instead of failing; a call of 1 byte cannot be cut
 *                        and is logged as "short=none"
 *   INJECT_LOG=FILE      one line appended per injection
 *   INJECT_BT=1          add a backtrace (module+offset) to that line
 *   INJECT_COUNT=FILE    at exit, append "pid prog func count" for every
 *                        covered function that the process called
 *
 * Calls are counted per process (all threads together) from the shim's
 * constructor on; calls the shim makes itself are never counted, and it
 * writes its files with raw system calls.  What glibc calls internally
 * (fopen's open, stdio's write) is not interposable and not counted;
 * glibc's own calls to malloc and friends are.  A failing close, fclose or
 * closedir releases the descriptor first, as Linux does.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <iconv.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Declared by the headers only under _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);

#define FUNCS(X) \
	X(read) X(write) X(pread) X(pwrite) X(pread64) X(pwrite64) \
	X(__read_chk) X(__pread_chk) \
	X(open) X(open64) X(openat) X(openat64) X(__open_2) X(__openat_2) \
	X(close) X(dup) X(fcntl) X(fcntl64) X(fsync) X(fdatasync) X(ftruncate) X(ftruncate64) \
	X(rename) X(renameat) X(link) X(linkat) X(unlink) X(unlinkat) \
	X(mkdir) X(mkdirat) X(access) \
	X(stat) X(lstat) X(fstat) X(fstatat) \
	X(mmap) X(mmap64) X(munmap) \
	X(shm_open) X(shm_unlink) \
	X(sem_open) X(sem_close) X(sem_unlink) X(sem_post) X(sem_trywait) \
	X(sem_clockwait) X(sem_timedwait) X(sem_getvalue) \
	X(malloc) X(calloc) X(realloc) X(posix_memalign) X(aligned_alloc) \
	X(iconv_open) X(iconv) \
	X(posix_fallocate) X(flock) \
	X(opendir) X(fdopendir) X(readdir) X(closedir) \
	X(fopen) X(fclose) X(fflush) X(fwrite) X(getline) \
	X(puts) X(fputs) X(putc) X(printf) \
	X(poll) X(nanosleep) X(sigaction) X(pthread_create)

#define ENUM(f) F_##f,
enum func { FUNCS(ENUM) NFUNC };
#define NAME(f) #f,
static const char *const func_name[NFUNC] = { FUNCS(NAME) };

static void *real_fn[NFUNC];
static unsigned long counts[NFUNC];

static int cfg_ready;        /* the constructor has read the environment */
static int active;           /* this process is the chosen stage */
static int target = -1;      /* enum func, or -1 */
static unsigned long nth;
static int nth_plus;
static int plus_logged;      /* "N+": the first failure was logged */
static int inj_errno = EIO;
static int mode_short;
static int want_bt;
static char log_path[1024];
static char count_path[1024];
static char prog[256];
static char argv0[1024];     /* as given */
static char exe[256];        /* basename of /proc/self/exe */

/* Set while the shim works: nested calls go straight to libc, uncounted. */
static _Thread_local int guard __attribute__((tls_model("initial-exec")));

/* ---- raw output, no allocation ---- */

static int
raw_open_append(const char *path)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void
raw_write(int fd, const char *s, size_t n)
{
	while (n > 0) {
		long w = syscall(SYS_write, fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

struct line {
	char buf[4096];
	size_t len;
};

static void
put_s(struct line *l, const char *s)
{
	while (*s && l->len < sizeof l->buf - 2)
		l->buf[l->len++] = *s++;
}

/* A string with blanks and controls escaped, so a line stays a line. */
static void
put_q(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s && l->len < sizeof l->buf - 6; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == '%' || c == 0x7f) {
			l->buf[l->len++] = '%';
			l->buf[l->len++] = hex[c >> 4];
			l->buf[l->len++] = hex[c & 15];
		} else {
			l->buf[l->len++] = (char)c;
		}
	}
}

static void
put_u(struct line *l, unsigned long v)
{
	char tmp[24];
	int i = 0;

	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (i > 0 && l->len < sizeof l->buf - 2)
		l->buf[l->len++] = tmp[--i];
}

static void
put_x(struct line *l, uintptr_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[20];
	int i = 0;

	do
		tmp[i++] = hex[v & 15];
	while ((v >>= 4) > 0);
	put_s(l, "0x");
	while (i > 0 && l->len < sizeof l->buf - 2)
		l->buf[l->len++] = tmp[--i];
}

static void
put_i(struct line *l, long v)
{
	if (v < 0) {
		put_s(l, "-");
		put_u(l, (unsigned long)-v);
	} else {
		put_u(l, (unsigned long)v);
	}
}

/* ---- errno names ---- */

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "ENOMEM", ENOMEM },
	{ "EINTR", EINTR }, { "EAGAIN", EAGAIN }, { "EACCES", EACCES },
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EEXIST", EEXIST },
	{ "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "EDQUOT", EDQUOT },
	{ "EFBIG", EFBIG }, { "EROFS", EROFS }, { "EBADF", EBADF },
	{ "EINVAL", EINVAL }, { "EILSEQ", EILSEQ }, { "E2BIG", E2BIG },
	{ "ETIMEDOUT", ETIMEDOUT }, { "EOVERFLOW", EOVERFLOW },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EBUSY", EBUSY },
	{ "ENAMETOOLONG", ENAMETOOLONG }, { "EXDEV", EXDEV },
	{ "EPIPE", EPIPE }, { "ENOLCK", ENOLCK }, { "EMLINK", EMLINK },
};

static const char *
errno_name(int e)
{
	size_t i;

	for (i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (errnos[i].value == e)
			return errnos[i].name;
	return "?";
}

static int
parse_errno(const char *s)
{
	size_t i;

	if (*s >= '0' && *s <= '9')
		return atoi(s);
	for (i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (strcmp(errnos[i].name, s) == 0)
			return errnos[i].value;
	return EIO;
}

/* ---- bootstrap allocator, for dlsym before malloc is resolved ---- */

static _Alignas(16) unsigned char bump_buf[64 * 1024];
static size_t bump_used;

static void *
bump_alloc(size_t n)
{
	size_t *p;
	size_t need = ((n + 15) & ~(size_t)15) + 16;

	if (need > sizeof bump_buf - bump_used)
		return NULL;
	p = (size_t *)(void *)(bump_buf + bump_used);
	bump_used += need;
	*p = n;
	return (unsigned char *)p + 16;
}

static int
is_bump(const void *p)
{
	return (const unsigned char *)p >= bump_buf &&
	    (const unsigned char *)p < bump_buf + sizeof bump_buf;
}

static size_t
bump_size(const void *p)
{
	return *(const size_t *)(const void *)((const unsigned char *)p - 16);
}

/* ---- resolving libc's functions ---- */

static int resolving;

static void *
resolve(enum func f)
{
	void *p = __atomic_load_n(&real_fn[f], __ATOMIC_ACQUIRE);

	if (p)
		return p;
	guard++;
	resolving++;
	p = dlsym(RTLD_NEXT, func_name[f]);
	resolving--;
	guard--;
	__atomic_store_n(&real_fn[f], p, __ATOMIC_RELEASE);
	return p;
}

#define REAL(f, type) ((type)resolve(F_##f))

/* ---- which process, which call ---- */

static void
read_cmdline(char *argbuf, size_t cap, size_t *len)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline",
	    O_RDONLY | O_CLOEXEC);
	long r;

	*len = 0;
	if (fd < 0)
		return;
	while (*len < cap - 1 &&
	    (r = syscall(SYS_read, fd, argbuf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)r;
	argbuf[*len] = '\0';
	syscall(SYS_close, fd);
}

static void
read_comm(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/comm",
	    O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return;
	r = syscall(SYS_read, fd, prog, sizeof prog - 1);
	syscall(SYS_close, fd);
	if (r <= 0)
		return;
	prog[r] = '\0';
	if (r > 0 && prog[r - 1] == '\n')
		prog[r - 1] = '\0';
}

/* Is one of the NUL-separated args equal to an item of the list? */
static int
has_skip_arg(const char *args, size_t len, const char *list)
{
	const char *a, *item, *end;
	size_t n;

	for (a = args; a < args + len; a += strlen(a) + 1) {
		for (item = list; *item; item = *end ? end + 1 : end) {
			end = strchr(item, ',');
			if (!end)
				end = item + strlen(item);
			n = (size_t)(end - item);
			if (n > 0 && strlen(a) == n && strncmp(a, item, n) == 0)
				return 1;
		}
	}
	return 0;
}

static void
copy_env(char *dst, size_t cap, const char *name)
{
	const char *v = getenv(name);

	dst[0] = '\0';
	if (v && strlen(v) < cap)
		strcpy(dst, v);
}

static void
configure(void)
{
	static char args[8192];
	size_t len;
	const char *stage, *skip, *fn, *v, *base;
	char *end;
	int i;

	guard++;
	read_cmdline(args, sizeof args, &len);
	if (strlen(args) < sizeof argv0)
		strcpy(argv0, args);
	{
		char link[1024];
		long r = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe",
		    link, sizeof link - 1);
		const char *slash;

		if (r > 0) {
			link[r] = '\0';
			slash = strrchr(link, '/');
			slash = slash ? slash + 1 : link;
			if (strlen(slash) < sizeof exe)
				strcpy(exe, slash);
		}
	}
	if (len > 0) {
		base = strrchr(args, '/');
		base = base ? base + 1 : args;
		if (strlen(base) < sizeof prog)
			strcpy(prog, base);
	}
	if (!prog[0])
		read_comm();

	stage = getenv("INJECT_STAGE");
	active = !stage || !*stage || strcmp(stage, prog) == 0;
	skip = getenv("INJECT_SKIP_ARGS");
	if (active && skip && *skip && len > 0 &&
	    has_skip_arg(args, len, skip))
		active = 0;

	fn = getenv("INJECT_FUNC");
	if (fn)
		for (i = 0; i < NFUNC; i++)
			if (strcmp(func_name[i], fn) == 0)
				target = i;
	v = getenv("INJECT_NTH");
	if (v) {
		nth = strtoul(v, &end, 10);
		nth_plus = *end == '+';
	}
	if (nth == 0)
		target = -1;
	v = getenv("INJECT_ERRNO");
	if (v && *v)
		inj_errno = parse_errno(v);
	v = getenv("INJECT_MODE");
	mode_short = v && strcmp(v, "short") == 0;
	v = getenv("INJECT_BT");
	want_bt = v && *v && strcmp(v, "0") != 0;
	copy_env(log_path, sizeof log_path, "INJECT_LOG");
	copy_env(count_path, sizeof count_path, "INJECT_COUNT");

	/* Resolve everything now, single-threaded. */
	for (i = 0; i < NFUNC; i++)
		resolve((enum func)i);
	if (active && target >= 0 && want_bt) {
		void *warm[2];

		backtrace(warm, 2); /* loads libgcc_s now, not mid-injection */
	}
	guard--;
	__atomic_store_n(&cfg_ready, 1, __ATOMIC_RELEASE);
}

static void log_event(const char *what, long value, int bt);

/* A crash is logged (with a backtrace) before the default action runs. */
static void
on_crash(int sig)
{
	guard++;
	log_event("crash", sig, 1);
	guard--;
	/* SA_RESETHAND: returning re-runs the fault under the default action;
	 * for a signal sent (abort, kill) raise it again. */
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

static void
on_exit_status(int status, void *arg)
{
	(void)arg;
	guard++;
	log_event("exit", status, 0);
	guard--;
}

__attribute__((constructor)) static void
inject_init(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
		SIGILL };
	struct sigaction sa;
	size_t i;

	configure();
	if (!active || !log_path[0])
		return;
	guard++;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash;
	sa.sa_flags = (int)(SA_RESETHAND | SA_NODEFER);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		REAL(sigaction, int (*)(int, const struct sigaction *,
		    struct sigaction *))(fatal[i], &sa, NULL);
	on_exit(on_exit_status, NULL);
	guard--;
}

static void
dump_counts(void)
{
	struct line l;
	int fd, i;

	if (!active || !count_path[0])
		return;
	fd = raw_open_append(count_path);
	if (fd < 0)
		return;
	for (i = 0; i < NFUNC; i++) {
		unsigned long c = __atomic_load_n(&counts[i], __ATOMIC_RELAXED);

		if (c == 0)
			continue;
		l.len = 0;
		put_u(&l, (unsigned long)getpid());
		put_s(&l, " ");
		put_q(&l, prog);
		put_s(&l, " ");
		put_s(&l, func_name[i]);
		put_s(&l, " ");
		put_u(&l, c);
		put_s(&l, "\n");
		raw_write(fd, l.buf, l.len);
	}
	syscall(SYS_close, fd);
}

__attribute__((destructor)) static void
inject_fini(void)
{
	guard++;
	dump_counts();
	guard--;
}

/* What the call is about, for the log. */
struct about {
	int fd;              /* -1: none */
	int dirfd;           /* AT_FDCWD or a directory */
	const char *path;    /* NULL: none */
	long size;           /* requested bytes, -1: none */
};

static const struct about NOTHING = { -1, AT_FDCWD, NULL, -1 };

static struct about
about_fd(int fd)
{
	struct about a = NOTHING;

	a.fd = fd;
	return a;
}

static struct about
about_path(int dirfd, const char *path)
{
	struct about a = NOTHING;

	a.dirfd = dirfd;
	a.path = path;
	return a;
}

static struct about
about_io(int fd, size_t n)
{
	struct about a = NOTHING;

	a.fd = fd;
	a.size = (long)n;
	return a;
}

static void
put_fd_target(struct line *l, int fd)
{
	char proc[64], target_buf[1024];
	struct line p;
	long r;

	p.len = 0;
	put_s(&p, "/proc/self/fd/");
	put_u(&p, (unsigned long)fd);
	p.buf[p.len] = '\0';
	memcpy(proc, p.buf, p.len + 1);
	r = syscall(SYS_readlinkat, AT_FDCWD, proc, target_buf,
	    sizeof target_buf - 1);
	if (r > 0) {
		target_buf[r] = '\0';
		put_q(l, target_buf);
	} else {
		put_s(l, "?");
	}
}

static void
put_bt(struct line *l, int skip)
{
	void *frames[32];
	int n = backtrace(frames, 32), i, first = 1;
	Dl_info info, self;

	put_s(l, " bt=");
	if (!dladdr((void *)put_bt, &self))
		self.dli_fbase = NULL;
	for (i = skip; i < n; i++) {
		const char *mod = "?", *slash;
		uintptr_t off = (uintptr_t)frames[i];

		if (dladdr(frames[i], &info) && info.dli_fname) {
			if (first && info.dli_fbase == self.dli_fbase)
				continue; /* the shim's own frames */
			mod = info.dli_fname;
			/* the program itself goes by its argv[0] */
			if (!*mod || strcmp(mod, argv0) == 0)
				mod = exe;
			slash = strrchr(mod, '/');
			mod = slash ? slash + 1 : mod;
			off -= (uintptr_t)info.dli_fbase;
		}
		if (!first)
			put_s(l, ",");
		first = 0;
		put_q(l, mod);
		put_s(l, "+");
		/* a return address points after its call */
		put_x(l, off > 0 ? off - 1 : off);
	}
}

static void
log_injection(enum func f, unsigned long k, const char *how,
    const struct about *a)
{
	struct line l;
	int fd, saved = errno;

	if (!log_path[0])
		return;
	l.len = 0;
	put_s(&l, "inject pid=");
	put_u(&l, (unsigned long)getpid());
	put_s(&l, " prog=");
	put_q(&l, prog);
	put_s(&l, " func=");
	put_s(&l, func_name[f]);
	put_s(&l, " nth=");
	put_u(&l, k);
	put_s(&l, " ");
	put_s(&l, how);
	if (a->fd >= 0) {
		long fl = syscall(SYS_fcntl, a->fd, F_GETFL);

		put_s(&l, " fd=");
		put_u(&l, (unsigned long)a->fd);
		put_s(&l, " nb=");
		put_s(&l, fl >= 0 && (fl & O_NONBLOCK) ? "1" : "0");
		put_s(&l, " file=");
		put_fd_target(&l, a->fd);
	}
	if (a->path) {
		if (a->dirfd != AT_FDCWD && a->path[0] != '/') {
			put_s(&l, " dir=");
			put_fd_target(&l, a->dirfd);
		}
		put_s(&l, " path=");
		put_q(&l, a->path);
	}
	if (a->size >= 0) {
		put_s(&l, " size=");
		put_i(&l, a->size);
	}
	if (want_bt)
		put_bt(&l, 0);
	put_s(&l, "\n");
	fd = raw_open_append(log_path);
	if (fd >= 0) {
		raw_write(fd, l.buf, l.len);
		syscall(SYS_close, fd);
	}
	errno = saved;
}

/* "crash pid=.. prog=.. sig=N" or "exit pid=.. prog=.. status=N". */
static void
log_event(const char *what, long value, int bt)
{
	struct line l;
	int fd, saved = errno;

	if (!log_path[0])
		return;
	l.len = 0;
	put_s(&l, what);
	put_s(&l, " pid=");
	put_u(&l, (unsigned long)getpid());
	put_s(&l, " prog=");
	put_q(&l, prog);
	put_s(&l, strcmp(what, "crash") == 0 ? " sig=" : " status=");
	put_i(&l, value);
	if (bt && want_bt)
		put_bt(&l, 0);
	put_s(&l, "\n");
	fd = raw_open_append(log_path);
	if (fd >= 0) {
		raw_write(fd, l.buf, l.len);
		syscall(SYS_close, fd);
	}
	errno = saved;
}

/*
 * Counts the call; 1 when this one is to fail (or be cut short), after
 * logging it.  For a short transfer, *cut is the size to ask instead, or
 * 0 when the call cannot be cut (asked for 1 byte or none).
 */
static int
hit(enum func f, struct about a, size_t *cut)
{
	unsigned long k;
	struct line how;

	if (guard || !__atomic_load_n(&cfg_ready, __ATOMIC_ACQUIRE) || !active)
		return 0;
	k = __atomic_add_fetch(&counts[f], 1, __ATOMIC_RELAXED);
	if ((int)f != target || (nth_plus ? k < nth : k != nth))
		return 0;
	if (nth_plus) {
		/* A full or dying disk fails the files on it, not the
		 * messages: "N+" spares stdin, stdout, stderr, and
		 * descriptors that are not regular files. */
		struct stat st;

		if (a.fd >= 0 && (a.fd <= 2 ||
		    syscall(SYS_fstat, a.fd, &st) < 0 ||
		    !S_ISREG(st.st_mode)))
			return 0;
		/* Only the first failure is logged. */
		if (__atomic_exchange_n(&plus_logged, 1, __ATOMIC_RELAXED)) {
			if (mode_short && cut)
				*cut = a.size >= 2 ? (size_t)a.size / 2 : 0;
			return !mode_short || (cut && *cut);
		}
	}
	guard++;
	how.len = 0;
	if (mode_short && cut) {
		size_t n = a.size > 0 ? (size_t)a.size : 0;

		*cut = n >= 2 ? n / 2 : 0;
		put_s(&how, "mode=short short=");
		if (*cut)
			put_u(&how, *cut);
		else
			put_s(&how, "none");
	} else if (mode_short) {
		put_s(&how, "mode=short short=unsupported");
	} else {
		put_s(&how, "mode=fail errno=");
		put_s(&how, errno_name(inj_errno));
	}
	how.buf[how.len] = '\0';
	log_injection(f, k, how.buf, &a);
	guard--;
	if (mode_short && (!cut || *cut == 0))
		return 0; /* logged, and the call goes through whole */
	return 1;
}

/* The common case: fail with the chosen errno, returning ret. */
#define FAIL_IF(f, about, ret) \
	do { \
		if (hit(F_##f, about, NULL)) { \
			errno = inj_errno; \
			return ret; \
		} \
	} while (0)

/* ---- read and write ---- */

typedef ssize_t (*read_t)(int, void *, size_t);
typedef ssize_t (*write_t)(int, const void *, size_t);
typedef ssize_t (*pread_t)(int, void *, size_t, off_t);
typedef ssize_t (*pwrite_t)(int, const void *, size_t, off_t);

#define IO_HIT(f, fd, n) \
	size_t cut = 0; \
	if (hit(F_##f, about_io(fd, n), &cut)) { \
		if (!mode_short) { \
			errno = inj_errno; \
			return -1; \
		} \
		n = cut; \
	}

ssize_t
read(int fd, void *buf, size_t n)
{
	IO_HIT(read, fd, n)
	return REAL(read, read_t)(fd, buf, n);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	IO_HIT(write, fd, n)
	return REAL(write, write_t)(fd, buf, n);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	IO_HIT(pread, fd, n)
	return REAL(pread, pread_t)(fd, buf, n, off);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	IO_HIT(pwrite, fd, n)
	return REAL(pwrite, pwrite_t)(fd, buf, n, off);
}

ssize_t
pread64(int fd, void *buf, size_t n, off_t off)
{
	IO_HIT(pread64, fd, n)
	return REAL(pread64, pread_t)(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	IO_HIT(pwrite64, fd, n)
	return REAL(pwrite64, pwrite_t)(fd, buf, n, off);
}

ssize_t
__read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	IO_HIT(__read_chk, fd, n)
	return REAL(__read_chk, ssize_t (*)(int, void *, size_t, size_t))(
	    fd, buf, n, buflen);
}

ssize_t
__pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	IO_HIT(__pread_chk, fd, n)
	return REAL(__pread_chk,
	    ssize_t (*)(int, void *, size_t, off_t, size_t))(
	    fd, buf, n, off, buflen);
}

/* ---- opening and closing ---- */

static mode_t
mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, unsigned int);
	return 0;
}

typedef int (*open_t)(const char *, int, ...);
typedef int (*openat_t)(int, const char *, int, ...);

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAIL_IF(open, about_path(AT_FDCWD, path), -1);
	return REAL(open, open_t)(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAIL_IF(open64, about_path(AT_FDCWD, path), -1);
	return REAL(open64, open_t)(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAIL_IF(openat, about_path(dirfd, path), -1);
	return REAL(openat, openat_t)(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	FAIL_IF(openat64, about_path(dirfd, path), -1);
	return REAL(openat64, openat_t)(dirfd, path, flags, mode);
}

int
__open_2(const char *path, int flags)
{
	FAIL_IF(__open_2, about_path(AT_FDCWD, path), -1);
	return REAL(__open_2, int (*)(const char *, int))(path, flags);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	FAIL_IF(__openat_2, about_path(dirfd, path), -1);
	return REAL(__openat_2, int (*)(int, const char *, int))(dirfd, path,
	    flags);
}

int
close(int fd)
{
	if (hit(F_close, about_fd(fd), NULL)) {
		REAL(close, int (*)(int))(fd); /* Linux frees it regardless */
		errno = inj_errno;
		return -1;
	}
	return REAL(close, int (*)(int))(fd);
}

int
dup(int fd)
{
	FAIL_IF(dup, about_fd(fd), -1);
	return REAL(dup, int (*)(int))(fd);
}

/* The third argument is an int or a pointer; glibc reads it as a pointer
 * too. */
int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	FAIL_IF(fcntl, about_fd(fd), -1);
	return REAL(fcntl, int (*)(int, int, ...))(fd, cmd, arg);
}

int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	FAIL_IF(fcntl64, about_fd(fd), -1);
	return REAL(fcntl64, int (*)(int, int, ...))(fd, cmd, arg);
}

/* ---- durability and names ---- */

int
fsync(int fd)
{
	FAIL_IF(fsync, about_fd(fd), -1);
	return REAL(fsync, int (*)(int))(fd);
}

int
fdatasync(int fd)
{
	FAIL_IF(fdatasync, about_fd(fd), -1);
	return REAL(fdatasync, int (*)(int))(fd);
}

int
ftruncate(int fd, off_t len)
{
	FAIL_IF(ftruncate, about_fd(fd), -1);
	return REAL(ftruncate, int (*)(int, off_t))(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	FAIL_IF(ftruncate64, about_fd(fd), -1);
	return REAL(ftruncate64, int (*)(int, off_t))(fd, len);
}

int
rename(const char *from, const char *to)
{
	FAIL_IF(rename, about_path(AT_FDCWD, to), -1);
	return REAL(rename, int (*)(const char *, const char *))(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	FAIL_IF(renameat, about_path(tofd, to), -1);
	return REAL(renameat, int (*)(int, const char *, int, const char *))(
	    fromfd, from, tofd, to);
}

int
link(const char *from, const char *to)
{
	FAIL_IF(link, about_path(AT_FDCWD, to), -1);
	return REAL(link, int (*)(const char *, const char *))(from, to);
}

int
linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	FAIL_IF(linkat, about_path(tofd, to), -1);
	return REAL(linkat,
	    int (*)(int, const char *, int, const char *, int))(fromfd, from,
	    tofd, to, flags);
}

int
unlink(const char *path)
{
	FAIL_IF(unlink, about_path(AT_FDCWD, path), -1);
	return REAL(unlink, int (*)(const char *))(path);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	FAIL_IF(unlinkat, about_path(dirfd, path), -1);
	return REAL(unlinkat, int (*)(int, const char *, int))(dirfd, path,
	    flags);
}

int
mkdir(const char *path, mode_t mode)
{
	FAIL_IF(mkdir, about_path(AT_FDCWD, path), -1);
	return REAL(mkdir, int (*)(const char *, mode_t))(path, mode);
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	FAIL_IF(mkdirat, about_path(dirfd, path), -1);
	return REAL(mkdirat, int (*)(int, const char *, mode_t))(dirfd, path,
	    mode);
}

int
access(const char *path, int how)
{
	FAIL_IF(access, about_path(AT_FDCWD, path), -1);
	return REAL(access, int (*)(const char *, int))(path, how);
}

int
stat(const char *restrict path, struct stat *restrict st)
{
	FAIL_IF(stat, about_path(AT_FDCWD, path), -1);
	return REAL(stat, int (*)(const char *, struct stat *))(path, st);
}

int
lstat(const char *restrict path, struct stat *restrict st)
{
	FAIL_IF(lstat, about_path(AT_FDCWD, path), -1);
	return REAL(lstat, int (*)(const char *, struct stat *))(path, st);
}

int
fstat(int fd, struct stat *st)
{
	FAIL_IF(fstat, about_fd(fd), -1);
	return REAL(fstat, int (*)(int, struct stat *))(fd, st);
}

int
fstatat(int dirfd, const char *restrict path, struct stat *restrict st,
    int flags)
{
	FAIL_IF(fstatat, about_path(dirfd, path), -1);
	return REAL(fstatat, int (*)(int, const char *, struct stat *, int))(
	    dirfd, path, st, flags);
}

/* ---- memory maps and IPC ---- */

typedef void *(*mmap_t)(void *, size_t, int, int, int, off_t);

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	FAIL_IF(mmap, about_io(fd, len), MAP_FAILED);
	return REAL(mmap, mmap_t)(addr, len, prot, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	FAIL_IF(mmap64, about_io(fd, len), MAP_FAILED);
	return REAL(mmap64, mmap_t)(addr, len, prot, flags, fd, off);
}

int
munmap(void *addr, size_t len)
{
	FAIL_IF(munmap, NOTHING, -1);
	return REAL(munmap, int (*)(void *, size_t))(addr, len);
}

int
shm_open(const char *name, int flags, mode_t mode)
{
	FAIL_IF(shm_open, about_path(AT_FDCWD, name), -1);
	return REAL(shm_open, int (*)(const char *, int, mode_t))(name, flags,
	    mode);
}

int
shm_unlink(const char *name)
{
	FAIL_IF(shm_unlink, about_path(AT_FDCWD, name), -1);
	return REAL(shm_unlink, int (*)(const char *))(name);
}

sem_t *
sem_open(const char *name, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;
	unsigned int value = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, unsigned int);
		value = va_arg(ap, unsigned int);
		va_end(ap);
	}
	FAIL_IF(sem_open, about_path(AT_FDCWD, name), SEM_FAILED);
	return REAL(sem_open, sem_t *(*)(const char *, int, ...))(name, flags,
	    mode, value);
}

int
sem_close(sem_t *sem)
{
	FAIL_IF(sem_close, NOTHING, -1);
	return REAL(sem_close, int (*)(sem_t *))(sem);
}

int
sem_unlink(const char *name)
{
	FAIL_IF(sem_unlink, about_path(AT_FDCWD, name), -1);
	return REAL(sem_unlink, int (*)(const char *))(name);
}

int
sem_post(sem_t *sem)
{
	FAIL_IF(sem_post, NOTHING, -1);
	return REAL(sem_post, int (*)(sem_t *))(sem);
}

int
sem_trywait(sem_t *sem)
{
	FAIL_IF(sem_trywait, NOTHING, -1);
	return REAL(sem_trywait, int (*)(sem_t *))(sem);
}

int
sem_clockwait(sem_t *restrict sem, clockid_t clock,
    const struct timespec *restrict abstime)
{
	FAIL_IF(sem_clockwait, NOTHING, -1);
	return REAL(sem_clockwait,
	    int (*)(sem_t *, clockid_t, const struct timespec *))(sem, clock,
	    abstime);
}

int
sem_timedwait(sem_t *restrict sem, const struct timespec *restrict abstime)
{
	FAIL_IF(sem_timedwait, NOTHING, -1);
	return REAL(sem_timedwait, int (*)(sem_t *, const struct timespec *))(
	    sem, abstime);
}

int
sem_getvalue(sem_t *restrict sem, int *restrict value)
{
	FAIL_IF(sem_getvalue, NOTHING, -1);
	return REAL(sem_getvalue, int (*)(sem_t *, int *))(sem, value);
}

/* ---- memory ---- */

/* free is interposed only to drop the bootstrap blocks; it is not
 * counted (it cannot fail). */
static void *real_free;

static void
init_alloc(void)
{
	if (resolving)
		return; /* inside dlsym: the caller uses the bump buffer */
	resolve(F_malloc);
	resolve(F_calloc);
	resolve(F_realloc);
	if (!__atomic_load_n(&real_free, __ATOMIC_ACQUIRE)) {
		void *p;

		guard++;
		resolving++;
		p = dlsym(RTLD_NEXT, "free");
		resolving--;
		guard--;
		__atomic_store_n(&real_free, p, __ATOMIC_RELEASE);
	}
}

void *
malloc(size_t n)
{
	void *(*fn)(size_t) = __atomic_load_n(&real_fn[F_malloc],
	    __ATOMIC_ACQUIRE);

	if (!fn) {
		init_alloc();
		fn = __atomic_load_n(&real_fn[F_malloc], __ATOMIC_ACQUIRE);
		if (!fn)
			return bump_alloc(n);
	}
	FAIL_IF(malloc, NOTHING, NULL);
	return fn(n);
}

void *
calloc(size_t n, size_t size)
{
	void *(*fn)(size_t, size_t) = __atomic_load_n(&real_fn[F_calloc],
	    __ATOMIC_ACQUIRE);

	if (!fn) {
		init_alloc();
		fn = __atomic_load_n(&real_fn[F_calloc], __ATOMIC_ACQUIRE);
		if (!fn) {
			if (size && n > SIZE_MAX / size)
				return NULL;
			return bump_alloc(n * size); /* static: zeroed */
		}
	}
	FAIL_IF(calloc, NOTHING, NULL);
	return fn(n, size);
}

void *
realloc(void *p, size_t n)
{
	void *(*fn)(void *, size_t);
	void *q;

	if (p && is_bump(p)) {
		size_t old = bump_size(p);

		q = malloc(n);
		if (q)
			memcpy(q, p, old < n ? old : n);
		return q;
	}
	fn = __atomic_load_n(&real_fn[F_realloc], __ATOMIC_ACQUIRE);
	if (!fn) {
		init_alloc();
		fn = __atomic_load_n(&real_fn[F_realloc], __ATOMIC_ACQUIRE);
		if (!fn)
			return p ? NULL : bump_alloc(n);
	}
	FAIL_IF(realloc, NOTHING, NULL);
	return fn(p, n);
}

void
free(void *p)
{
	void (*fn)(void *);

	if (!p || is_bump(p))
		return;
	fn = __atomic_load_n(&real_free, __ATOMIC_ACQUIRE);
	if (!fn) {
		init_alloc();
		fn = __atomic_load_n(&real_free, __ATOMIC_ACQUIRE);
		if (!fn)
			return; /* leak rather than crash */
	}
	fn(p);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	if (hit(F_posix_memalign, NOTHING, NULL))
		return inj_errno;
	return REAL(posix_memalign, int (*)(void **, size_t, size_t))(out,
	    align, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	FAIL_IF(aligned_alloc, NOTHING, NULL);
	return REAL(aligned_alloc, void *(*)(size_t, size_t))(align, n);
}

/* ---- iconv ---- */

iconv_t
iconv_open(const char *to, const char *from)
{
	FAIL_IF(iconv_open, about_path(AT_FDCWD, from), (iconv_t)-1);
	return REAL(iconv_open, iconv_t (*)(const char *, const char *))(to,
	    from);
}

size_t
iconv(iconv_t cd, char **restrict in, size_t *restrict inleft,
    char **restrict out, size_t *restrict outleft)
{
	FAIL_IF(iconv, NOTHING, (size_t)-1);
	return REAL(iconv,
	    size_t (*)(iconv_t, char **, size_t *, char **, size_t *))(cd, in,
	    inleft, out, outleft);
}

/* ---- space and locks ---- */

int
posix_fallocate(int fd, off_t off, off_t len)
{
	if (hit(F_posix_fallocate, about_io(fd, (size_t)len), NULL))
		return inj_errno; /* the error is the result, errno untouched */
	return REAL(posix_fallocate, int (*)(int, off_t, off_t))(fd, off, len);
}

int
flock(int fd, int op)
{
	FAIL_IF(flock, about_fd(fd), -1);
	return REAL(flock, int (*)(int, int))(fd, op);
}

/* ---- directories ---- */

DIR *
opendir(const char *path)
{
	FAIL_IF(opendir, about_path(AT_FDCWD, path), NULL);
	return REAL(opendir, DIR *(*)(const char *))(path);
}

DIR *
fdopendir(int fd)
{
	FAIL_IF(fdopendir, about_fd(fd), NULL);
	return REAL(fdopendir, DIR *(*)(int))(fd);
}

struct dirent *
readdir(DIR *d)
{
	FAIL_IF(readdir, about_fd(dirfd(d)), NULL);
	return REAL(readdir, struct dirent *(*)(DIR *))(d);
}

int
closedir(DIR *d)
{
	if (hit(F_closedir, about_fd(dirfd(d)), NULL)) {
		REAL(closedir, int (*)(DIR *))(d);
		errno = inj_errno;
		return -1;
	}
	return REAL(closedir, int (*)(DIR *))(d);
}

/* ---- stdio (its own write(2) calls are inside glibc, out of reach) ---- */

FILE *
fopen(const char *restrict path, const char *restrict how)
{
	FAIL_IF(fopen, about_path(AT_FDCWD, path), NULL);
	return REAL(fopen, FILE *(*)(const char *, const char *))(path, how);
}

int
fclose(FILE *f)
{
	if (hit(F_fclose, about_fd(fileno(f)), NULL)) {
		REAL(fclose, int (*)(FILE *))(f);
		errno = inj_errno;
		return EOF;
	}
	return REAL(fclose, int (*)(FILE *))(f);
}

int
fflush(FILE *f)
{
	FAIL_IF(fflush, about_fd(fileno(f)), EOF);
	return REAL(fflush, int (*)(FILE *))(f);
}

size_t
fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f)
{
	FAIL_IF(fwrite, about_fd(fileno(f)), 0);
	return REAL(fwrite, size_t (*)(const void *, size_t, size_t, FILE *))(
	    p, size, n, f);
}

ssize_t
getline(char **restrict line, size_t *restrict cap, FILE *restrict f)
{
	FAIL_IF(getline, about_fd(fileno(f)), -1);
	return REAL(getline, ssize_t (*)(char **, size_t *, FILE *))(line, cap,
	    f);
}

int
puts(const char *s)
{
	FAIL_IF(puts, about_fd(1), EOF);
	return REAL(puts, int (*)(const char *))(s);
}

int
fputs(const char *restrict str, FILE *restrict f)
{
	FAIL_IF(fputs, about_fd(fileno(f)), EOF);
	return REAL(fputs, int (*)(const char *, FILE *))(str, f);
}

int
putc(int c, FILE *f)
{
	FAIL_IF(putc, about_fd(fileno(f)), EOF);
	return REAL(putc, int (*)(int, FILE *))(c, f);
}

int
printf(const char *restrict fmt, ...)
{
	va_list ap;
	int r;

	FAIL_IF(printf, about_fd(1), -1);
	va_start(ap, fmt);
	r = vprintf(fmt, ap);
	va_end(ap);
	return r;
}

/* ---- waiting, signals, threads ---- */

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	FAIL_IF(poll, NOTHING, -1);
	return REAL(poll, int (*)(struct pollfd *, nfds_t, int))(fds, n,
	    timeout);
}

int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (hit(F_nanosleep, NOTHING, NULL)) {
		if (rem && req)
			*rem = *req; /* interrupted before any time passed */
		errno = inj_errno;
		return -1;
	}
	return REAL(nanosleep,
	    int (*)(const struct timespec *, struct timespec *))(req, rem);
}

int
sigaction(int sig, const struct sigaction *restrict act,
    struct sigaction *restrict old)
{
	FAIL_IF(sigaction, NOTHING, -1);
	return REAL(sigaction, int (*)(int, const struct sigaction *,
	    struct sigaction *))(sig, act, old);
}

int
pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict attr,
    void *(*start)(void *), void *restrict arg)
{
	if (hit(F_pthread_create, NOTHING, NULL))
		return inj_errno;
	return REAL(pthread_create, int (*)(pthread_t *,
	    const pthread_attr_t *, void *(*)(void *), void *))(t, attr, start,
	    arg);
}
