"""Shared helpers for the engine tests: daemons the test starts and always
stops, free ports, and the shard checks of the e2e recipe tests.

Every daemon runs in its own process group (its own session) with its
output in a log file; stop() sends SIGTERM to the group, waits at most a
few seconds, then SIGKILLs it.  The runner makes itself a child subreaper
(prctl PR_SET_CHILD_SUBREAPER), so what a daemon double-forks (slurmd's
slurmstepd, sshd's per-connection children) is reparented to it rather
than to init: sweep() finds and kills all of it, and a test fails if
anything of its own was still running.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types

import helpers as h
import test_recipes as recipes

PR_SET_CHILD_SUBREAPER = 36
STOP_GRACE = 5


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


SUBREAPER = become_subreaper()


def free_port():
    """A TCP port free on the loopback now (the kernel's choice, so high
    and unused; the daemon binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n):
    """n distinct free ports (held together while picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def children_of(pid):
    """Live pids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out.append(int(d))
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        kids = children_of(todo.pop())
        out.extend(kids)
        todo.extend(kids)
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8",
                                                        "replace").strip()
    except OSError:
        return "?"


def reap_children():
    """Collect the exit of any child that is done (orphans reparented to
    this subreaper), without blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep(timeout=5):
    """Kill everything still running below this process; return what was
    there [(pid, cmdline)].  Called after the daemons were stopped, when
    the test itself runs nothing any more."""
    left = [(p, cmdline(p)) for p in descendants(os.getpid())]
    for p, _ in left:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap_children()
        if not descendants(os.getpid()):
            break
        time.sleep(0.05)
    return left


class Daemon:
    """A daemon in the foreground, in its own session, logging to a file."""

    def __init__(self, name, args, log, env=None, cwd=None):
        self.name = name
        self.args = [str(a) for a in args]
        self.log = log
        full = dict(os.environ)
        full.update(env or {})
        self.logf = open(log, "ab")
        self.popen = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                      stdout=self.logf, stderr=self.logf,
                                      cwd=cwd, env=full,
                                      start_new_session=True)

    def alive(self):
        return self.popen.poll() is None

    def tail(self, n=5):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                got = [ln.rstrip() for ln in f if ln.strip()]
        except OSError:
            return ""
        return " | ".join(got[-n:])

    def stop(self):
        """SIGTERM to the group, at most STOP_GRACE s, then SIGKILL."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.popen.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            pass
        self.logf.close()


def wait_until(cond, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def missing_tools(paths):
    """Those of paths (absolute, or names looked up on PATH) that are not
    there."""
    return [p for p in paths
            if not (os.access(p, os.X_OK) if os.path.isabs(p)
                    else shutil.which(p))]


def result(returncode, out, err=b""):
    """A stand-in for a CompletedProcess (what check_shards reads)."""
    return types.SimpleNamespace(returncode=returncode, stdout=out,
                                 stderr=err, args=[])


class EngineCase(recipes.RecipeCase):
    """A recipe test with daemons: self.daemons are stopped (and the
    process tree swept) in tearDown whatever happened; the engines' state
    lives in self.state, a temporary directory of its own.  The inputs
    are the e2e shard tests' (Shards.make_inputs, Shards.check_shards)."""

    INPUTS = recipes.Shards.INPUTS

    def setUp(self):
        super().setUp()
        self.daemons = []
        self.state = tempfile.mkdtemp(prefix="csvpack-engine-")
        self.addCleanup(shutil.rmtree, self.state, True)

    def daemon(self, name, args, **kw):
        d = Daemon(name, args, os.path.join(self.state, name + ".log"), **kw)
        self.daemons.append(d)
        return d

    def stop_all(self):
        """Stop the daemons (last started first) and sweep; the leftovers
        found are returned (empty: all stopped by their SIGTERM)."""
        while self.daemons:
            self.daemons.pop().stop()
        return sweep()

    def tearDown(self):
        # A test that got to its end has stopped its daemons and checked
        # that they left nothing (stop_all there); here, after a failure or
        # a skip, what is left is killed and said, not failed again.
        left = self.stop_all()
        if left:
            sys.stderr.write("\n%s: killed what was left running: %r\n"
                             % (self.id(), left))
        super().tearDown()

    def skip_unless_tools(self, engine, tools, pkgs):
        gone = missing_tools(tools)
        if gone:
            self.skipTest("%s: %s not installed (scripts/install-deps "
                          "--with-engines installs %s)"
                          % (engine, ", ".join(gone), pkgs))

    def skip_daemon(self, engine, d, why):
        """Skip: daemon d could not start here, with its last log lines."""
        if not d.alive():
            why = "exited with status %s" % d.popen.returncode
        self.skipTest("%s: %s could not start here (%s): %s"
                      % (engine, d.name, why, d.tail(3) or "no output"))

    def check_shard_verify(self, base, paths, plan):
        """`csvpack verify out/shardI INPUT...` (in base, the inputs named
        as the shard named them) is all good for every shard.  The inputs
        compared are those with a row: given a header-only input (d.csv),
        verify reports "no document of the journal is of this input",
        though the run read it (a defect of verify, reported; the plain
        `csvpack verify out/shardI` covers that shard all the same)."""
        for i in (1, 2, 3):
            mine = [n for n in plan[i - 1::3] if h.read_csv_rows(paths[n])]
            outdir = os.path.join(base, "out", "shard%d" % i)
            names = h.archive_names(outdir)
            docs = self.check_prefixed(outdir, "shard%d" % i)
            nrows = sum(len(d.rows) for d in docs)
            self.check_verify(os.path.join("out", "shard%d" % i),
                              len(names), len(docs), nrows)
            self.check_verify(os.path.join("out", "shard%d" % i),
                              len(names), len(docs), nrows, inputs=mine)
