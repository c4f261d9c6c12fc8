#!/usr/bin/env python3
"""Fault-injection tests for csvpack (spec guarantees 4-9).

    CSVPACK_BIN=/abs/path/bin python3 tests/faults/run.py \\
        [--kills N] [--rows N] [--seed S] [--soak] [--only NAME,...] [--keep]

Scenarios (each prints one PASS/FAIL/SKIP line, details indented):

  baseline     an undisturbed run: exit 0, exactly-once, clean dir and IPC;
               its duration paces the kills of the storm
  storm        SIGKILL storm: K kills (default 24; --soak: 300) of the
               producer, converter, packer (rotating) and sometimes the
               launcher, at random moments of a run, sometimes several in a
               row on one output dir, each chain finished by --resume.
               The moments: one in six in the first 0.3 s (stages starting
               and attaching); the others spread over the run's progress
               (once a random number of archives stands, plus a random part
               of one archive's time), and the first packer kill and one in
               three after it at the instant an archive takes its final
               name (the commit window: its documents are being deleted
               from staging)
  early        each stage SIGKILLed the moment it appears, before it has
               attached (only the launcher knows of it); then --resume
  pair         the converter and the packer SIGKILLed together, mid-run
               (2 rounds; --soak: 6); then --resume
  diskfull     a small tmpfs as output dir (ENOSPC), then remount bigger and
               --resume; RLIMIT_FSIZE (EFBIG) on the archives and on the
               documents, then --resume
  signals      SIGINT / SIGTERM to the launcher, SIGINT to its process group,
               Ctrl-C (SIGINT to the group) at random moments (3; --soak:
               10), `csvpack | head -1`; each then --resume
  lock         a second pipeline on a dir in use is refused ('in use'); two
               pipelines on two dirs run side by side
  stale        leftover IPC after killpg SIGKILL: --cleanup NAME removes it;
               a new run with the same name replaces it; --cleanup of a
               running pipeline is refused; a new run's three stages
               replacing a dead run's objects at once (5; --soak: 20)

After every kill: the launcher (unless it was the one killed) exits
non-zero within 10 s, and, in the storm, within 3 s (the spec says the
others notice within 2 s) or it counts as a slow exit; no process of the
pipeline is left after 10 s; nothing of the pipeline in /dev/shm once the
launcher has exited (after the launcher's own SIGKILL: once the next run
has exited).

"Exactly once": every input row (identified by source and line, and checked
field by field against the input) stands in exactly one archive.  Every
subprocess and every wait has a timeout; a process that outlives it has its
whole process group SIGKILLed and counts as a hang (a failure).

The last line printed is `faults: N passed, N failed`; exit status 1 when
anything failed.  Python 3 stdlib only; needs gzip and GNU tar; the disk-full
case needs root (mount -t tmpfs) and is skipped without it.
"""

import argparse
import concurrent.futures
import csv
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.abspath(os.environ.get("CSVPACK_BIN") or
                      os.path.join(REPO, "bin"))
LAUNCHER = os.path.join(BIN, "csvpack")
GEN = os.path.join(REPO, "bench", "gen_csv.py")
SHM = "/dev/shm"
UID = os.getuid()

ARCHIVE_RE = re.compile(r"^\d{6}\.tgz$")
MEMBER_RE = re.compile(r"^\d{6}\.xml$")
JOURNAL = ".csvpack-journal"
STAGING = ".csvpack-staging"
LOCK = ".csvpack.lock"
STAGES = ("producer", "converter", "packer")

EXIT_WAIT = 10.0        # a stage died: the launcher exits within this
GONE_WAIT = 10.0        # ... and no process of the pipeline is left after
CHECK_TIMEOUT = 60.0    # gzip -t, tar -tzf, --cleanup
LOCK_TRIES = 5          # second pipelines tried against a running one
SLOW_EXIT = 3.0         # spec: the others notice within 2 s (+1 s slack)


class Figures:
    def __init__(self):
        self.kills = {r: 0 for r in STAGES + ("launcher",)}
        self.missed = 0          # the run had ended before the kill
        self.killpg = 0          # SIGKILL to a whole pipeline (stale IPC)
        self.hangs = 0
        self.slow = 0            # launcher exit > SLOW_EXIT after a kill
        self.lost = 0
        self.dup = 0
        self.wrong = 0           # rows whose fields differ, or unknown rows
        self.shm_left = 0        # IPC objects found where none may be
        self.procs_left = 0      # processes of a pipeline found after 10 s
        self.invalid = 0         # archives/documents failing a check
        self.stray = 0           # files in DIR besides archives + journal
        self.runs = 0

    def total_kills(self):
        return sum(self.kills.values())

    def lines(self):
        k = self.kills
        return [
            "kills made: %d (producer %d, converter %d, packer %d, "
            "launcher %d), plus %d SIGKILLs of a whole pipeline; kills "
            "that came after the run had ended: %d"
            % (self.total_kills(), k["producer"], k["converter"],
               k["packer"], k["launcher"], self.killpg, self.missed),
            "pipeline runs: %d" % self.runs,
            "hangs: %d" % self.hangs,
            "slow exits (> %.0f s after a SIGKILL or a signal): %d" % (
                SLOW_EXIT, self.slow),
            "rows lost: %d" % self.lost,
            "rows duplicated: %d" % self.dup,
            "rows wrong or unknown: %d" % self.wrong,
            "leftovers in /dev/shm: %d" % self.shm_left,
            "leftover processes: %d" % self.procs_left,
            "invalid archives/documents: %d" % self.invalid,
            "stray files in DIR: %d" % self.stray,
        ]


FIG = Figures()
POOL = None      # worker processes that check archives (forked: same hash)
ALL_NAMES = []   # every pipeline name used, for the final sweep


# ------------------------------------------------------------ processes

def proc_info(pid):
    """(state, argv) of pid, or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    state = st[st.rindex(")") + 2:].split()[0]
    argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0")[:-1]]
    return state, argv


def role_of(argv):
    if not argv:
        return None
    base = os.path.basename(argv[0])
    if base.startswith("csvpack-"):
        r = base[len("csvpack-"):]
        if "--validate" in argv or "--cleanup" in argv:
            return r + "-aux"
        return r
    if len(argv) > 1 and os.path.basename(argv[1]) == "csvpack":
        return "launcher"
    return None


def has_name(argv, name):
    for i, a in enumerate(argv):
        if a == "--name" and i + 1 < len(argv) and argv[i + 1] == name:
            return True
        if a == "--name=" + name:
            return True
    return False


def named_procs(name):
    """Live (not zombie) processes whose command line has --name NAME:
    list of (pid, role)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        info = proc_info(int(d))
        if not info or info[0] in ("Z", "X"):
            continue
        if has_name(info[1], name):
            out.append((int(d), role_of(info[1])))
    return out


def group_alive(pgid):
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
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            out.append(int(d))
    return out


def describe_group(pgid):
    """What a hung process group is doing: pid, state, CPU ticks, wchan,
    command (for the report)."""
    out = []
    for pid in group_alive(pgid):
        info = proc_info(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
            f2 = st[st.rindex(")") + 2:].split()
            ticks = int(f2[11]) + int(f2[12])
            with open("/proc/%d/wchan" % pid) as f:
                wchan = f.read().strip() or "-"
        except (OSError, ValueError, IndexError):
            ticks, wchan = "?", "?"
        if info:
            out.append("%d %s cpu=%s wchan=%s %s" % (
                pid, info[0], ticks, wchan, " ".join(info[1])[:100]))
    return "; ".join(out)


def killpg(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except OSError:
        pass


def shm_objects(name):
    """The /dev/shm entries of pipeline NAME (this user's)."""
    seg = "csvpack-%d-%s" % (UID, name)
    sem = "sem.csvpack-%d-%s." % (UID, name)
    try:
        ents = os.listdir(SHM)
    except OSError:
        return []
    return sorted(e for e in ents if e == seg or e.startswith(sem))


class Run:
    """The launcher (or any command) in its own process group, stdout and
    stderr to files (not pipes: a leftover process holding them cannot
    block us)."""

    def __init__(self, args, tmp, name=None, preexec=None, tag="run"):
        self.args = args
        self.name = name
        self.out_path = os.path.join(tmp, "%s.%d.out" % (tag, id(self)))
        self.err_path = os.path.join(tmp, "%s.%d.err" % (tag, id(self)))
        out = open(self.out_path, "wb")
        err = open(self.err_path, "wb")

        def pre():
            if preexec:
                preexec()
        try:
            self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                      stdout=out, stderr=err,
                                      start_new_session=True,
                                      preexec_fn=pre if preexec else None)
        finally:
            out.close()
            err.close()
        self.pid = self.pgid = self.p.pid
        self.t0 = time.monotonic()
        self.rc = None
        self.hung = False
        self.hang_info = ""
        self.t_end = None
        FIG.runs += 1

    def poll(self):
        if self.rc is None:
            self.rc = self.p.poll()
            if self.rc is not None:
                self.t_end = time.monotonic()
        return self.rc

    def wait(self, timeout):
        """Exit status, or None after a hang (the group is SIGKILLed)."""
        if self.rc is not None:
            return self.rc
        try:
            self.rc = self.p.wait(timeout=max(0.0, timeout))
            self.t_end = time.monotonic()
        except subprocess.TimeoutExpired:
            self.hung = True
            FIG.hangs += 1
            self.hang_info = describe_group(self.pgid)
            killpg(self.pgid)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            return None
        return self.rc

    def reap_group(self):
        """Kills what is left in the process group (e.g. the launcher's
        sleep timer) once the checks are done."""
        killpg(self.pgid)

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def elapsed(self):
        """Seconds from the start to the exit (or to now)."""
        return (self.t_end or time.monotonic()) - self.t0


def run_cmd(args, timeout=CHECK_TIMEOUT, **kw):
    """subprocess.run with a timeout; on timeout the group is killed and
    a hang counted.  Returns (rc or None, stdout, stderr)."""
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        FIG.hangs += 1
        killpg(p.pid)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        return None, out.decode("utf-8", "replace"), err.decode(
            "utf-8", "replace")
    return p.returncode, out.decode("utf-8", "replace"), err.decode(
        "utf-8", "replace")


def wait_gone(name, deadline):
    """Waits until no process has --name NAME; returns those left at the
    deadline (and SIGKILLs them)."""
    while True:
        left = named_procs(name)
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


def cleanup_name(name):
    rc, out, err = run_cmd([LAUNCHER, "--cleanup", name])
    return rc, out + err


# ------------------------------------------------------------ data checks

class Inputs:
    """Input files and, per (source, line), the hash of the row's fields."""

    def __init__(self, paths):
        self.paths = paths
        self.rows = {}     # (source, line) -> hash(tuple(fields))
        self.order = []    # (source, line) in input order
        for p in paths:
            with open(p, newline="", encoding="utf-8") as f:
                r = csv.reader(f)
                next(r)  # header
                prev = r.line_num
                for fields in r:
                    line = prev + 1
                    prev = r.line_num
                    key = (p, line)
                    self.rows[key] = hash(tuple(fields))
                    self.order.append(key)

    def __len__(self):
        return len(self.order)


def parse_doc(data, where, errors):
    """Rows of one XML document: (source, [line...], [hash of the fields
    ...]), or None if it is not a valid document."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        errors.append("%s: XML does not parse: %s" % (where, e))
        return None
    if root.tag != "table" or "source" not in root.attrib:
        errors.append("%s: root is not <table source=...>" % where)
        return None
    src = root.get("source")
    lines, hashes = [], []
    for row in root:
        if row.tag != "row":
            errors.append("%s: unexpected element %s" % (where, row.tag))
            return None
        try:
            line = int(row.get("line"))
        except (TypeError, ValueError):
            errors.append("%s: row without a line" % where)
            return None
        lines.append(line)
        hashes.append(hash(tuple(c.text or "" for c in row)))
    return src, lines, hashes


def check_archive(path):
    """Checks one archive with gzip -t, GNU tar and tarfile, and parses
    its documents.  Runs in a worker process: returns (errors, rows or
    None if invalid, hangs)."""
    hangs = FIG.hangs
    errors = []
    rows = []
    try:
        with tarfile.open(path, "r:gz") as tf:
            members = tf.getmembers()
            if not members:
                errors.append("%s: empty archive" % path)
            for m in members:
                if not m.isfile() or not MEMBER_RE.match(m.name):
                    errors.append("%s: bad member %r" % (path, m.name))
                    continue
                data = tf.extractfile(m).read()
                doc = parse_doc(data, "%s:%s" % (path, m.name), errors)
                if doc is not None:
                    rows.append(doc)
    except (tarfile.TarError, OSError, EOFError) as e:
        errors.append("%s: tarfile: %s" % (path, e))
    return errors, None if errors else rows, FIG.hangs - hangs


# gzip -t and GNU tar -tzf over every archive, one shell for all of them
# (a process per archive from this big Python costs more than the checks).
EXTERNAL = r"""
for f; do
    gzip -t "$f" 2>/dev/null || echo "$f: gzip -t failed"
    tar -tzf "$f" >/dev/null 2>&1 || echo "$f: GNU tar -tzf failed"
done
"""


def external_checks(paths, errors):
    """Runs gzip -t and tar -tzf on paths; returns the failing ones."""
    if not paths:
        return []
    rc, out, err = run_cmd(["bash", "-c", EXTERNAL, "check"] + paths,
                           timeout=CHECK_TIMEOUT + 2 * len(paths))
    if rc != 0:
        errors.append("gzip/tar checks: exit %s: %s" % (fmt_rc(rc),
                                                        err.strip()))
        return list(paths)
    failed = []
    for line in out.splitlines():
        errors.append(line)
        failed.append(line.split(": ")[0])
    return failed


def archives_of(d):
    try:
        return sorted(e for e in os.listdir(d) if ARCHIVE_RE.match(e))
    except OSError:
        return []


def add_doc(seen, doc):
    src, lines, hashes = doc
    for line, h in zip(lines, hashes):
        seen.setdefault((src, line), []).append(h)


def collect(d, errors, staging=False):
    """Rows of every archive in d (and of the complete staged documents if
    staging): dict (source, line) -> [hashes...], plus where they came
    from."""
    seen = {}
    paths = [os.path.join(d, a) for a in archives_of(d)]
    bad = set(external_checks(paths, errors))
    FIG.invalid += len(bad)
    results = (POOL.map(check_archive, paths, chunksize=2,
                        timeout=CHECK_TIMEOUT + len(paths)) if POOL
               else map(check_archive, paths))
    try:
        results = list(results)
    except concurrent.futures.TimeoutError:
        FIG.hangs += 1
        errors.append("checking the archives of %s took over %.0f s (hang)"
                      % (d, CHECK_TIMEOUT + len(paths)))
        results = []
    for errs, rows, hangs in results:
        FIG.hangs += hangs
        if errs:
            FIG.invalid += 1 if not any(e.startswith(tuple(bad))
                                        for e in errs) else 0
            errors.extend(errs)
        for doc in rows or ():
            add_doc(seen, doc)
    n_staged = 0
    if staging:
        sd = os.path.join(d, STAGING)
        for e in sorted(os.listdir(sd)) if os.path.isdir(sd) else []:
            if not MEMBER_RE.match(e):
                continue
            with open(os.path.join(sd, e), "rb") as f:
                doc = parse_doc(f.read(), os.path.join(sd, e), errors)
            if doc is None:
                FIG.invalid += 1
                continue
            n_staged += 1
            add_doc(seen, doc)
    return seen, n_staged


def compare(inputs, seen, errors, prefix_only=False, count=True):
    """Exactly-once (or, with prefix_only, 'at most once and a prefix of
    the input') of seen against inputs.  Adds to the figures if count."""
    lost = dup = wrong = 0
    first_lost = first_dup = first_wrong = None
    for key, hs in seen.items():
        exp = inputs.rows.get(key)
        if exp is None or any(h != exp for h in hs):
            wrong += 1
            first_wrong = first_wrong or key
        if len(hs) > 1:
            dup += len(hs) - 1
            first_dup = first_dup or key
    missing = [k for k in inputs.order if k not in seen]
    if prefix_only:
        # Rows never converted are fine, but the rows present must be a
        # prefix of the input (in the order the producer reads them): a
        # hole means a document was deleted without its archive.
        present = [k in seen for k in inputs.order]
        end = len(present)
        while end and not present[end - 1]:
            end -= 1
        holes = [inputs.order[i] for i in range(end) if not present[i]]
        lost = len(holes)
        first_lost = holes[0] if holes else None
    else:
        lost = len(missing)
        first_lost = missing[0] if missing else None
    if lost:
        errors.append("%d rows lost (first: %s line %d)" % (
            lost, first_lost[0], first_lost[1]))
    if dup:
        errors.append("%d rows duplicated (first: %s line %d)" % (
            dup, first_dup[0], first_dup[1]))
    if wrong:
        errors.append("%d rows wrong or unknown (first: %s line %s)" % (
            wrong, first_wrong[0], first_wrong[1]))
    if count:
        FIG.lost += lost
        FIG.dup += dup
        FIG.wrong += wrong
    return lost, dup, wrong


def snapshot(d):
    """The archives of d with their sizes, and every other entry."""
    out = []
    for e in sorted(os.listdir(d)):
        if ARCHIVE_RE.match(e):
            out.append((e, os.path.getsize(os.path.join(d, e))))
        elif e != JOURNAL:
            out.append((e, None))
    return out


def stray_files(d, preexisting=()):
    out = []
    for e in sorted(os.listdir(d)):
        if ARCHIVE_RE.match(e) or e == JOURNAL or e in preexisting:
            continue
        out.append(e)
    return out


def check_final(inputs, d, name, errors, preexisting=(), count=True):
    """After a successful run: archives valid, exactly once, DIR clean, no
    IPC and no process of NAME."""
    seen, _ = collect(d, errors)
    compare(inputs, seen, errors, count=count)
    stray = stray_files(d, preexisting)
    if stray:
        if count:
            FIG.stray += len(stray)
        errors.append("stray files in %s: %s" % (d, " ".join(stray[:8])))
    check_no_ipc(name, errors, count=count)
    procs = named_procs(name)
    if procs:
        if count:
            FIG.procs_left += len(procs)
        errors.append("processes of %s left: %s" % (name, procs))
        for pid, _ in procs:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def check_no_ipc(name, errors, count=True, what=""):
    left = shm_objects(name)
    if left:
        if count:
            FIG.shm_left += len(left)
        errors.append("IPC left in /dev/shm%s: %s" % (what, " ".join(left)))
        for e in left:   # so one failure does not cascade
            try:
                os.unlink(os.path.join(SHM, e))
            except OSError:
                pass
    return left


# ------------------------------------------------------------ harness

class Ctx:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.tmp = tempfile.mkdtemp(prefix="csvpack-faults-")
        self.tag = "ft%d" % os.getpid()
        self.n = 0
        self.mounts = []
        self.run_time = None
        self.total_archives = 1
        self.commit_kills = 0     # packer kills aimed at the commit window
        half = args.rows // 2
        self.in_a = os.path.join(self.tmp, "in-a.csv")
        self.in_b = os.path.join(self.tmp, "in-b.csv")
        for path, rows, seed in ((self.in_a, args.rows - half, args.seed),
                                 (self.in_b, half, args.seed + 1)):
            with open(path, "wb") as f:
                try:
                    rc = subprocess.run([sys.executable, GEN, str(rows),
                                         str(seed)], stdout=f,
                                        timeout=300).returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
            if rc != 0:
                raise RuntimeError("cannot generate %s: %s" % (path, rc))
        self.inputs2 = Inputs([self.in_a, self.in_b])
        self.inputs1 = Inputs([self.in_a])
        self.small = None
        # Many batches, and a ring small enough that the producer is held
        # back by it (so it is still alive to be killed).
        self.opts = ["-b", "5", "-r", "700", "--ring-size", "1M"]

    def name(self, what):
        self.n += 1
        n = "%s-%s%d" % (self.tag, what, self.n)
        ALL_NAMES.append(n)
        return n

    def dir(self, what):
        self.n += 1
        d = os.path.join(self.tmp, "%s%d" % (what, self.n))
        return d

    def launcher(self, name, out, inputs, resume=False, extra=(),
                 preexec=None):
        args = [LAUNCHER, "--name", name, "-o", out] + self.opts + list(extra)
        if resume:
            args.append("--resume")
        return Run(args + list(inputs), self.tmp, name=name,
                   preexec=preexec)

    def long_wait(self):
        """Bound for a run to complete undisturbed."""
        return max(60.0, 20 * (self.run_time or 3.0))

    def small_inputs(self):
        """A 2,000-row input, for runs that only have to start and end."""
        if self.small is None:
            path = os.path.join(self.tmp, "small.csv")
            with open(path, "wb") as f:
                rc = subprocess.run([sys.executable, GEN, "2000",
                                     str(self.args.seed + 2)], stdout=f,
                                    timeout=60).returncode
            if rc != 0:
                raise RuntimeError("cannot generate %s: %s" % (path, rc))
            self.small = Inputs([path])
        return self.small


def fmt_rc(rc):
    return "hang" if rc is None else str(rc)


def finish_resume(ctx, name, d, inputs, errors, label="resume"):
    """--resume to completion, then the full final check."""
    r = ctx.launcher(name, d, inputs.paths, resume=True)
    rc = r.wait(ctx.long_wait())
    r.reap_group()
    if rc != 0:
        errors.append("%s: exit %s, stderr: %s" % (
            label, fmt_rc(rc), tail(r.stderr())))
    check_final(inputs, d, name, errors)
    return rc


def digest(s, n=6):
    """The distinct lines of s, in order of first appearance, with how
    often each came (a hung loop can print one line 100000 times)."""
    counts, order = {}, []
    for l in s.splitlines():
        l = l.strip()
        if not l:
            continue
        if l not in counts:
            order.append(l)
            counts[l] = 0
        counts[l] += 1
    parts = [("%s (x%d)" % (l, counts[l]) if counts[l] > 1 else l)
             for l in order]
    if len(parts) > n:
        parts = parts[:2] + ["..."] + parts[-(n - 2):]
    return " | ".join(parts) if parts else "(empty)"


def tail(s, n=3):
    lines = [l for l in s.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:]) if lines else "(empty)"


# ------------------------------------------------------------ scenarios

def sc_baseline(ctx, out):
    errors = []
    times = []
    for i in range(1):
        name = ctx.name("base")
        d = ctx.dir("base")
        r = ctx.launcher(name, d, ctx.inputs2.paths)
        rc = r.wait(120)
        times.append(r.elapsed())
        r.reap_group()
        if rc != 0:
            errors.append("exit %s: %s" % (fmt_rc(rc), tail(r.stderr())))
            break
        if i == 0:
            check_final(ctx.inputs2, d, name, errors)
            ctx.total_archives = len(archives_of(d))
            out.append("%d rows, %d archives" % (len(ctx.inputs2),
                                                 ctx.total_archives))
        shutil.rmtree(d, ignore_errors=True)
    ctx.run_time = min(times) if times else 3.0
    out.append("undisturbed run: %.2f s" % ctx.run_time)
    return errors


def wait_archives(run, d, n, deadline):
    """Waits until d holds n archives (the run's progress); False if the
    run ended or the deadline passed first."""
    while time.monotonic() < deadline:
        if run.poll() is not None:
            return False
        if len(archives_of(d)) >= n:
            return True
        time.sleep(0.005)
    return False


def mid_run(ctx, run, d, lo, hi):
    """Waits until the run is between lo and hi of its work (archives
    written, plus a random part of one archive's time).  False if it
    ended first."""
    n = max(1, int(ctx.total_archives * ctx.rng.uniform(lo, hi)))
    if not wait_archives(run, d, n, time.monotonic() + ctx.long_wait()):
        return False
    time.sleep(ctx.rng.uniform(0, ctx.run_time / ctx.total_archives))
    return run.poll() is None


def find_target(run, name, role, deadline):
    """pid of the stage to kill (the launcher itself for 'launcher'), once
    it is running; None if the run ended first."""
    while time.monotonic() < deadline:
        if run.poll() is not None:
            return None
        if role == "launcher":
            return run.pid
        for pid, r in named_procs(name):
            if r == role:
                return pid
        time.sleep(0.01)
    return None


def kill_round(ctx, name, d, role, resume, errors, notes):
    """One run of the storm, killed (SIGKILL) at a random moment.
    Returns 'killed', 'complete' (the run had ended: then it must be,
    and was, complete), or 'broken'."""
    T = ctx.run_time
    total = ctx.total_archives
    start = len(archives_of(d))
    r = ctx.launcher(name, d, ctx.inputs2.paths, resume=resume)
    # When: one kill in six in the first 0.3 s (stages starting, attaching,
    # packing what an earlier run left); the others spread over the run's
    # progress: once a random number of archives stands, plus a random
    # part of one archive's time (the machine's speed varies too much for
    # a delay measured in advance to land mid-run reliably).
    how = ""
    if ctx.rng.random() < 1 / 6 or start >= total - 1:
        end = r.t0 + ctx.rng.uniform(0, 0.3)
        while time.monotonic() < end and r.poll() is None:
            time.sleep(0.005)
    elif role == "packer" and (ctx.commit_kills == 0 or
                               ctx.rng.random() < 1 / 3):
        ctx.commit_kills += 1
        # The commit window: the moment an archive takes its final name,
        # while its documents are still being deleted from staging.
        nums = [int(a[:6]) for a in archives_of(d)]
        want = "%06d.tgz" % (max(nums or [0]) +
                             ctx.rng.randint(1, max(1, total - start - 1)))
        how = " (as %s appeared)" % want
        path = os.path.join(d, want)
        # The packer's pid first: scanning /proc takes longer than the
        # window lasts.
        pid = find_target(r, name, role, time.monotonic() + 5.0)
        deadline = time.monotonic() + ctx.long_wait()
        while (pid and not os.path.exists(path) and r.poll() is None and
               time.monotonic() < deadline):
            pass
    else:
        wait_archives(r, d, ctx.rng.randint(start, total - 1),
                      time.monotonic() + ctx.long_wait())
        end = time.monotonic() + ctx.rng.uniform(0, T / total)
        while time.monotonic() < end and r.poll() is None:
            time.sleep(0.005)
    if not how:
        pid = find_target(r, name, role, time.monotonic() + 2.0)
    delay = r.elapsed()
    landed = False
    if pid is not None:
        info = proc_info(pid)
        if info and info[0] not in ("Z", "X"):
            try:
                os.kill(pid, signal.SIGKILL)
                landed = True
            except OSError:
                pass
    t_kill = time.monotonic()
    if landed:
        FIG.kills[role] += 1
    else:
        FIG.missed += 1

    if role != "launcher" or not landed:
        # A kill that missed leaves the run to finish undisturbed.
        rc = r.wait(t_kill + (EXIT_WAIT if landed else ctx.long_wait()) -
                    time.monotonic())
        took = time.monotonic() - t_kill
        if rc is None:
            errors.append("launcher did not exit within %.0f s of the "
                          "SIGKILL of the %s at %.2fs (hang): %s; stderr: %s"
                          % (EXIT_WAIT, role, delay, r.hang_info,
                             digest(r.stderr())))
        elif landed and took > SLOW_EXIT:
            FIG.slow += 1
            errors.append("launcher exit %s only %.2fs after the SIGKILL of "
                          "the %s at %.2fs (spec: the others notice within "
                          "2 s); stderr: %s" % (rc, took, role, delay,
                                                tail(r.stderr(), 4)))
        left = wait_gone(name, t_kill + GONE_WAIT)
        if left:
            FIG.procs_left += len(left)
            errors.append("processes left %.0f s after the kill: %s" % (
                GONE_WAIT, left))
        if rc is not None:
            check_no_ipc(name, errors, what=" after the launcher exited")
        # (A hung launcher was SIGKILLed by us: as after a SIGKILL of the
        # launcher, its IPC must be gone after the next run.)
        r.reap_group()
        if rc is None:
            return "broken"
        if not landed or rc == 0:
            # The run ended (or ended its work) before the kill: then it
            # must have finished the job.
            if rc != 0:
                errors.append("run ended with exit %s, no kill made: %s" % (
                    rc, tail(r.stderr())))
                return "broken"
            e2 = []
            check_final(ctx.inputs2, d, name, e2, count=False)
            if e2:
                errors.append("exit 0 after SIGKILL of the %s at %.2f s, "
                              "but the output is incomplete: %s" % (
                                  role, delay, "; ".join(e2)))
                return "broken"
            notes.append("%s kill at %.2fs: run had finished (exit 0)" % (
                role, delay))
            return "complete"
        notes.append("SIGKILL %s at %.2fs%s -> exit %d in %.2fs" % (
            role, delay, how, rc, took))
        return "killed"

    # The launcher itself was killed: its stages go on or stop on their
    # own; they must be gone within the bound.
    r.wait(5.0)
    bound = GONE_WAIT + ctx.long_wait()
    left = wait_gone(name, t_kill + bound)
    if left:
        FIG.procs_left += len(left)
        errors.append("stages still running %.0f s after the launcher's "
                      "SIGKILL: %s" % (bound, left))
    r.reap_group()
    shm = shm_objects(name)
    notes.append("SIGKILL launcher at %.2fs; stages gone after %.2fs; "
                 "IPC left until the next run: %s" % (
                     delay, time.monotonic() - t_kill,
                     len(shm) if shm else "none"))
    return "killed"


def sc_storm(ctx, out):
    errors = []
    K = ctx.args.kills
    pattern = ["producer", "converter", "packer", "producer", "converter",
               "packer", "launcher"]
    i = 0
    episodes = 0
    attempts = 0
    max_attempts = 3 * K + 20
    base = FIG.total_kills()

    def made():
        return FIG.total_kills() - base
    while made() < K and attempts < max_attempts:
        episodes += 1
        name = ctx.name("storm")
        d = ctx.dir("storm")
        chain = ctx.rng.choice([1, 2, 3, 4])   # kills before the resume
        ep_err, notes = [], []
        resume = False
        res = None
        for _ in range(chain):
            if made() >= K or attempts >= max_attempts:
                break
            role = pattern[i % len(pattern)]
            i += 1
            attempts += 1
            res = kill_round(ctx, name, d, role, resume, ep_err, notes)
            resume = True
            if res != "killed":
                break
        if res == "complete":
            # Checked in full already: a --resume must change nothing.
            before = snapshot(d)
            r = ctx.launcher(name, d, ctx.inputs2.paths, resume=True)
            rc = r.wait(ctx.long_wait())
            r.reap_group()
            if rc != 0:
                ep_err.append("--resume of a complete run: exit %s: %s" % (
                    fmt_rc(rc), tail(r.stderr())))
            after = snapshot(d)
            if after != before:
                ep_err.append("--resume of a complete run changed the "
                              "output dir: %s" % sorted(
                                  set(after) ^ set(before))[:6])
            check_no_ipc(name, ep_err)
        else:
            finish_resume(ctx, name, d, ctx.inputs2, ep_err)
        status = "ok" if not ep_err else "FAIL"
        out.append("episode %d (%s, %d archives): %s; %s" % (
            episodes, name, len(archives_of(d)), status, "; ".join(notes)))
        for e in ep_err:
            out.append("    " + e)
        errors.extend("episode %d: %s" % (episodes, e) for e in ep_err)
        if not ep_err and not ctx.args.keep:
            shutil.rmtree(d, ignore_errors=True)
    out.append("%d kills in %d episodes (%d rounds)" % (made(), episodes,
                                                       attempts))
    if made() < K:
        errors.append("only %d of %d kills could be made" % (made(), K))
    return errors


# --- targeted kills ------------------------------------------------------

def stage_pids(run, name):
    """{role: pid} of the run's live stages.  The launcher's children
    first (/proc/PID/task/PID/children: quick, so a stage is seen the
    moment it is started), else every process with --name NAME."""
    found = {}
    try:
        with open("/proc/%d/task/%d/children" % (run.pid, run.pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        kids = [pid for pid, _ in named_procs(name)]
    for pid in kids:
        info = proc_info(pid)
        if info and info[0] not in ("Z", "X") and has_name(info[1], name):
            role = role_of(info[1])
            if role in STAGES:
                found[role] = pid
    return found


def sigkill_live(pid):
    """SIGKILL pid if it is alive (not a zombie: a stage that has ended
    is not killed by it).  True if the kill landed."""
    info = proc_info(pid)
    if not info or info[0] in ("Z", "X"):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return False
    return True


def after_stage_kills(ctx, r, name, d, t_kill, what, errors, out):
    """After SIGKILLs of stages (the launcher alive): the launcher exits,
    not 0, within EXIT_WAIT (else a hang); no process of the pipeline is
    left after GONE_WAIT; nothing of it stays in /dev/shm; --resume then
    completes, every row exactly once."""
    rc = r.wait(t_kill + EXIT_WAIT - time.monotonic())
    if rc is None:
        errors.append("%s: the launcher did not exit within %.0f s (hang):"
                      " %s; stderr: %s" % (what, EXIT_WAIT, r.hang_info,
                                           digest(r.stderr())))
    elif rc == 0:
        errors.append("%s: the launcher exited 0" % what)
    left = wait_gone(name, t_kill + GONE_WAIT)
    if left:
        FIG.procs_left += len(left)
        errors.append("%s: processes left %.0f s after the kill: %s" % (
            what, GONE_WAIT, left))
    if rc is not None:
        check_no_ipc(name, errors, what=" after the launcher exited")
    r.reap_group()
    out.append("%s: launcher exit %s, %d archives" % (
        what, fmt_rc(rc), len(archives_of(d))))
    finish_resume(ctx, name, d, ctx.inputs2, errors)


def sc_early(ctx, out):
    """Each stage SIGKILLed the moment it appears, before it has attached
    to the pipeline, where only the launcher knows of it (was
    repro/early_kill.py: the others skipped its empty slot and waited for
    the launcher's timer, or, started by hand, for ever)."""
    errors = []
    for role in STAGES:
        name, d = ctx.name("early"), ctx.dir("early")
        e = []
        r = ctx.launcher(name, d, ctx.inputs2.paths)
        deadline = time.monotonic() + ctx.long_wait()
        pid = None
        while pid is None and r.poll() is None and \
                time.monotonic() < deadline:
            pid = stage_pids(r, name).get(role)
        if pid is None or not sigkill_live(pid):
            errors.append("%s: no %s to kill (launcher exit %s: %s)" % (
                role, role, fmt_rc(r.poll()), tail(r.stderr())))
            r.wait(ctx.long_wait())
            r.reap_group()
            continue
        t_kill = time.monotonic()
        FIG.kills[role] += 1
        after_stage_kills(ctx, r, name, d, t_kill, "%s killed %.3fs after "
                          "the start" % (role, t_kill - r.t0), e, out)
        errors.extend("%s: %s" % (role, x) for x in e)
    return errors


def sc_pair(ctx, out):
    """The converter and the packer SIGKILLed together, mid-run (was
    repro/launcher_spin.sh: bash filed the two jobs away, every later
    `wait -n PID` failed at once, and the launcher spun for ever, its
    EXIT trap never run)."""
    errors = []
    for k in range(6 if ctx.args.soak else 2):
        name, d = ctx.name("pair"), ctx.dir("pair")
        e = []
        r = ctx.launcher(name, d, ctx.inputs2.paths)
        mid_run(ctx, r, d, 0.1, 0.6)
        pids = stage_pids(r, name)
        targets = [pids.get(role) for role in ("converter", "packer")]
        if r.poll() is not None or None in targets:
            errors.append("round %d: run ended (exit %s) before the kills;"
                          " inconclusive" % (k + 1, fmt_rc(r.poll())))
            r.wait(ctx.long_wait())
            r.reap_group()
            continue
        landed = [sigkill_live(pid) for pid in targets]
        t_kill = time.monotonic()
        FIG.kills["converter"] += landed[0]
        FIG.kills["packer"] += landed[1]
        if not all(landed):
            e.append("a stage had ended before its kill; inconclusive")
        after_stage_kills(ctx, r, name, d, t_kill, "round %d: converter "
                          "and packer killed at %.2fs" % (
                              k + 1, t_kill - r.t0), e, out)
        errors.extend("round %d: %s" % (k + 1, x) for x in e)
    return errors


# --- disk full ---------------------------------------------------------

def mount_tmpfs(ctx, d, size):
    os.makedirs(d, exist_ok=True)
    rc, _, err = run_cmd(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                          "tmpfs", d], timeout=30)
    if rc != 0:
        return err.strip() or "mount exit %s" % rc
    ctx.mounts.append(d)
    return None


def umount(ctx, d):
    run_cmd(["umount", d], timeout=30)
    if d in ctx.mounts:
        ctx.mounts.remove(d)


def check_after_failure(ctx, inputs, d, name, errors, out):
    """After a failed run: archives under final names are valid; rows in
    archives + staged documents are a prefix of the input, at most once;
    no process, no IPC."""
    seen, n_staged = collect(d, errors, staging=True)
    lost, dup, wrong = compare(inputs, seen, errors, prefix_only=True)
    tmp_arch = [e for e in os.listdir(d) if e.endswith(".tgz.tmp")]
    out.append("after the failure: %d archives, %d staged documents, "
               "%d rows kept, temporary archives: %s" % (
                   len(archives_of(d)), n_staged, len(seen),
                   " ".join(tmp_arch) or "none"))
    left = wait_gone(name, time.monotonic() + 1.0)
    if left:
        FIG.procs_left += len(left)
        errors.append("processes left: %s" % left)
    check_no_ipc(name, errors)


def sc_diskfull(ctx, out):
    errors = []
    inputs = ctx.inputs1          # one input, half the rows (100k default)
    if os.geteuid() != 0:
        return "SKIP: not root, cannot mount a tmpfs"
    # The archives take about a quarter of the CSV's size, the staged
    # batch ~600 KB: these fill up mid-run (2m and 3m for 100k rows).
    csv_bytes = os.path.getsize(inputs.paths[0])
    sizes = ["%dk" % max(800, csv_bytes // f // 1024) for f in (4, 2.5)]
    for size in sizes:
        d = ctx.dir("full")
        err = mount_tmpfs(ctx, d, size)
        if err:
            return "SKIP: mount -t tmpfs failed: %s" % err
        try:
            name = ctx.name("full")
            r = ctx.launcher(name, d, inputs.paths)
            rc = r.wait(ctx.long_wait())
            r.reap_group()
            e = []
            msg = [l for l in r.stderr().splitlines()
                   if "No space left on device" in l]
            out.append("tmpfs size=%s: exit %s; %s" % (
                size, fmt_rc(rc), msg[0] if msg else tail(r.stderr())))
            if rc != 1:
                e.append("exit %s, want 1" % fmt_rc(rc))
            if not msg:
                e.append("no 'No space left on device' message: %s" %
                         tail(r.stderr()))
            elif not any(re.search(re.escape(d) + r"/\S", l) for l in msg):
                e.append("the ENOSPC message names no file in %s: %s" % (
                    d, msg[0]))
            check_after_failure(ctx, inputs, d, name, e, out)
            rc2, _, err2 = run_cmd(["mount", "-o", "remount,size=200m", d],
                                   timeout=30)
            if rc2 != 0:
                e.append("remount failed: %s" % err2.strip())
            else:
                finish_resume(ctx, name, d, inputs, e,
                              label="--resume after ENOSPC")
            errors.extend("tmpfs %s: %s" % (size, x) for x in e)
        finally:
            umount(ctx, d)

    # RLIMIT_FSIZE.  (1) The whole launcher under the limit: it applies to
    # every file a stage writes, the shared-memory segment (ftruncate)
    # included, so the ring stays well below it; the documents fit, the
    # archives do not: the packer hits EFBIG.  (2) The limit set on the
    # running converter alone (prlimit, once the segment exists): its
    # documents do not fit.
    ring = ["--ring-size", "256K"]
    cases = [("archives (launcher under the limit)",
              ["-b", "100", "-r", "700"] + ring, 768 * 1024, None),
             ("documents (converter's limit)", [], 64 * 1024, "converter")]
    for what, extra, limit, stage in cases:
        name = ctx.name("fsize")
        d = ctx.dir("fsize")
        e = []

        def lim(limit=limit):
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        r = ctx.launcher(name, d, inputs.paths, extra=extra,
                         preexec=None if stage else lim)
        if stage:
            seg = os.path.join(SHM, "csvpack-%d-%s" % (UID, name))
            pid = find_target(r, name, stage, time.monotonic() + 10)
            deadline = time.monotonic() + 10
            while pid and time.monotonic() < deadline and r.poll() is None:
                try:
                    if os.stat(seg).st_size > 0:
                        break
                except OSError:
                    pass
                time.sleep(0.002)
            try:
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))
            except (OSError, TypeError) as ex:
                e.append("prlimit on the %s failed: %s" % (stage, ex))
        rc = r.wait(ctx.long_wait())
        r.reap_group()
        msg = [l for l in r.stderr().splitlines() if "File too large" in l]
        out.append("RLIMIT_FSIZE=%d, %s: exit %s; %s" % (
            limit, what, fmt_rc(rc), msg[0] if msg else tail(r.stderr())))
        if rc != 1:
            e.append("exit %s, want 1" % fmt_rc(rc))
        if not msg:
            e.append("no 'File too large' message: %s" % tail(r.stderr()))
        check_after_failure(ctx, inputs, d, name, e, out)
        # Same options as the failed run, no limit now.
        r2 = ctx.launcher(name, d, inputs.paths, resume=True, extra=extra)
        rc2 = r2.wait(ctx.long_wait())
        r2.reap_group()
        if rc2 != 0:
            e.append("--resume: exit %s: %s" % (fmt_rc(rc2),
                                                tail(r2.stderr())))
        check_final(inputs, d, name, e)
        errors.extend("fsize %s: %s" % (what.split()[0], x) for x in e)
    return errors


# --- signals -----------------------------------------------------------

def check_stopped(ctx, d, name, errors, out, label):
    """After an interrupted run: converted documents packed, archives
    valid, rows at most once, IPC removed; then --resume completes."""
    sd = os.path.join(d, STAGING)
    staged = [e for e in os.listdir(sd)] if os.path.isdir(sd) else []
    docs = [e for e in staged if MEMBER_RE.match(e)]
    if docs:
        errors.append("%d converted documents left unpacked in staging "
                      "(%s ...)" % (len(docs), docs[0]))
    # (The archives are checked, with everything else, after the resume.)
    out.append("%s: %d archives, staging: %s" % (
        label, len(archives_of(d)),
        "gone" if not os.path.isdir(sd) else "%d entries" % len(staged)))
    left = wait_gone(name, time.monotonic() + 1.0)
    if left:
        FIG.procs_left += len(left)
        errors.append("processes left: %s" % left)
    check_no_ipc(name, errors)
    finish_resume(ctx, name, d, ctx.inputs2, errors)


def wait_stages(run, name, deadline):
    """Waits until the run's three stages are running; False if it ended
    or the deadline passed first."""
    while time.monotonic() < deadline and run.poll() is None:
        if len(stage_pids(run, name)) == len(STAGES):
            return True
        time.sleep(0.005)
    return False


def sc_signals(ctx, out):
    errors = []
    T = ctx.run_time
    # (how, signal, exit wanted, moment: None for mid-run, else a part of
    # the run's time after the three stages started)
    cases = [("SIGINT to the launcher", signal.SIGINT, 130, None),
             ("SIGTERM to the launcher", signal.SIGTERM, 143, None),
             ("SIGINT to the process group", signal.SIGINT, 130, None)]
    # Ctrl-C at random moments, from the stages' start on (was
    # repro/ctrlc_slow.py: about one stop in eight waited for the
    # launcher's timer, or, by hand, for ever: the producer pushing its
    # end-of-stream record into a full ring that the stopped converter
    # no longer read).
    for _ in range(10 if ctx.args.soak else 3):
        cases.append(("Ctrl-C (SIGINT to the process group)", signal.SIGINT,
                      130, ctx.rng.uniform(0, 0.8)))
    for how, sig, want, at in cases:
        # A run that ends before its random moment (a fast machine: the
        # whole run is under a second) is tried again at an earlier one.
        for attempt in range(5):
            name = ctx.name("sig")
            d = ctx.dir("sig")
            r = ctx.launcher(name, d, ctx.inputs2.paths)
            e = []
            if at is None:
                # Mid-run: a quarter to two thirds of the archives written.
                mid_run(ctx, r, d, 0.25, 0.65)
            elif wait_stages(r, name, time.monotonic() + ctx.long_wait()):
                end = time.monotonic() + at * T
                while time.monotonic() < end and r.poll() is None:
                    time.sleep(0.005)
            if at is None or r.poll() is None or attempt == 4:
                break
            r.reap_group()
            at /= 2
        delay = r.elapsed()
        if r.poll() is not None:
            e.append("run ended before the signal (exit %s); inconclusive"
                     % r.rc)
        elif "group" in how:
            killpg(r.pgid, sig)
        else:
            os.kill(r.pid, sig)
        t = time.monotonic()
        rc = r.wait(EXIT_WAIT + T)
        took = time.monotonic() - t
        r.reap_group()
        out.append("%s at %.2fs: exit %s after %.2fs" % (
            how, delay, fmt_rc(rc), took))
        if rc != want:
            e.append("exit %s, want %d: %s" % (fmt_rc(rc), want,
                                               tail(r.stderr())))
        elif took > SLOW_EXIT:
            # A clean stop takes a fraction of a second; 5 s is the
            # launcher's timer SIGKILLing a stage that did not stop.
            FIG.slow += 1
            e.append("stopped only %.2fs after the signal: %s" % (
                took, digest(r.stderr())))
        check_stopped(ctx, d, name, e, out, how)
        errors.extend("%s: %s" % (how, x) for x in e)

    # csvpack | head -1
    name = ctx.name("head")
    d = ctx.dir("head")
    cmd = ("%s --name %s -o %s %s %s %s | head -1; "
           "echo \"launcher-exit=${PIPESTATUS[0]}\" >&2" % (
               LAUNCHER, name, d, " ".join(ctx.opts),
               ctx.inputs2.paths[0], ctx.inputs2.paths[1]))
    r = Run(["bash", "-c", "set +o pipefail; " + cmd], ctx.tmp, name=name,
            tag="head")
    rc = r.wait(EXIT_WAIT + 3 * T)
    r.reap_group()
    e = []
    st = r.stderr()
    m = re.search(r"launcher-exit=(\d+)", st)
    out.append("csvpack | head -1: shell exit %s after %.2fs, launcher "
               "exit %s, printed %r" % (fmt_rc(rc), r.elapsed(),
                                        m.group(1) if m else "?",
                                        r.stdout().strip()))
    if rc is None:
        e.append("did not terminate by itself (hang)")
    lines = r.stdout().splitlines()
    if len(lines) != 1 or not lines[0].endswith(".tgz"):
        e.append("head printed %r" % lines)
    left = wait_gone(name, time.monotonic() + 1.0)
    if left:
        FIG.procs_left += len(left)
        e.append("processes left: %s" % left)
    check_no_ipc(name, e)
    finish_resume(ctx, name, d, ctx.inputs2, e)
    errors.extend("head -1: %s" % x for x in e)
    return errors


# --- lock ----------------------------------------------------------------

def sc_lock(ctx, out):
    errors = []
    d = ctx.dir("lock")
    name_a = ctx.name("lockA")
    # A slower first pipeline, so the second surely meets it running.
    a = ctx.launcher(name_a, d, ctx.inputs2.paths,
                     extra=["-l", "9", "-j", "1"])
    # Second pipelines, each started while the first is writing an archive
    # (a temporary archive stands in DIR): all must be refused and leave
    # the first untouched.
    wait_archives(a, d, 2, time.monotonic() + ctx.long_wait())
    refused = 0
    for k in range(LOCK_TRIES):
        deadline = time.monotonic() + ctx.long_wait()
        while a.poll() is None and time.monotonic() < deadline:
            if any(e.endswith(".tgz.tmp") for e in os.listdir(d)):
                break
            time.sleep(0.001)
        if a.poll() is not None:
            break
        name_b = ctx.name("lockB")
        b = ctx.launcher(name_b, d, ctx.inputs2.paths)
        rc_b = b.wait(EXIT_WAIT + 5)
        b.reap_group()
        msg = [l for l in b.stderr().splitlines() if "in use" in l]
        if k == 0:
            out.append("second pipeline on the same dir: exit %s after "
                       "%.2fs; %s" % (fmt_rc(rc_b), b.elapsed(), msg[0]
                                      if msg else tail(b.stderr())))
        if rc_b != 1:
            errors.append("second pipeline %d: exit %s, want 1" % (
                k + 1, fmt_rc(rc_b)))
        if not msg:
            errors.append("second pipeline %d: no 'in use' message: %s" % (
                k + 1, tail(b.stderr())))
        if rc_b == 1 and msg:
            refused += 1
        left = wait_gone(name_b, time.monotonic() + 1.0)
        if left:
            FIG.procs_left += len(left)
            errors.append("second pipeline's processes left: %s" % left)
        check_no_ipc(name_b, errors, what=" (second pipeline)")
        if a.poll() is not None:
            break
    out.append("%d second pipelines refused while the first ran" % refused)
    if refused == 0 and a.rc == 0:
        errors.append("the first pipeline ended before a second one was "
                      "refused; inconclusive")
    rc_a = a.wait(ctx.long_wait())
    a.reap_group()
    out.append("first pipeline: exit %s after %.2fs" % (fmt_rc(rc_a),
                                                       a.elapsed()))
    if rc_a != 0:
        errors.append("first pipeline: exit %s: %s" % (fmt_rc(rc_a),
                                                       tail(a.stderr())))
        # Is anything lost, or only the run broken?  Resume and see.
        seen, n_staged = collect(d, errors, staging=True)
        out.append("after the first pipeline's failure: %d archives, %d "
                   "staged documents, %d rows kept" % (
                       len(archives_of(d)), n_staged, len(seen)))
        finish_resume(ctx, name_a, d, ctx.inputs2, errors,
                      label="--resume of the first pipeline")
    else:
        check_final(ctx.inputs2, d, name_a, errors)

    # Two pipelines, two dirs, side by side.
    runs = []
    for _ in range(2):
        n, dd = ctx.name("side"), ctx.dir("side")
        runs.append((n, dd, ctx.launcher(n, dd, ctx.inputs2.paths)))
    for n, dd, r in runs:
        r.wait(ctx.long_wait())
        r.reap_group()
    overlap = runs[1][2].t0 < runs[0][2].t_end
    if not overlap:
        errors.append("the two pipelines did not overlap; inconclusive")
    for n, dd, r in runs:
        rc = r.rc
        if rc != 0:
            errors.append("side-by-side %s: exit %s: %s" % (
                n, fmt_rc(rc), tail(r.stderr())))
        check_final(ctx.inputs2, dd, n, errors)
    out.append("two pipelines on two dirs: exits %s, %.2fs and %.2fs" % (
        ", ".join(fmt_rc(r.rc) for _, _, r in runs),
        runs[0][2].elapsed(), runs[1][2].elapsed()))
    return errors


# --- stale IPC -------------------------------------------------------------

def make_leftovers(ctx, name, d, resume, errors, out):
    """Starts a pipeline and SIGKILLs its whole process group mid-run.
    Returns the IPC objects left, or None if none could be made."""
    r = ctx.launcher(name, d, ctx.inputs2.paths, resume=resume)
    mid_run(ctx, r, d, 0.1, 0.5)
    if r.poll() is not None:
        errors.append("run ended (exit %s) before killpg" % r.rc)
        return None
    killpg(r.pgid)
    t = time.monotonic()
    FIG.killpg += 1
    r.wait(5)
    left = wait_gone(name, t + GONE_WAIT)
    if left:
        FIG.procs_left += len(left)
        errors.append("processes survive killpg SIGKILL: %s" % left)
    objs = shm_objects(name)
    out.append("killpg SIGKILL: %s left in /dev/shm" % (
        " ".join(objs) if objs else "nothing"))
    if not objs:
        errors.append("no leftovers were made (nothing to clean up); "
                      "inconclusive")
        return None
    return objs


def sc_stale(ctx, out):
    errors = []
    # (a) --cleanup NAME removes the leftovers.
    name, d = ctx.name("stale"), ctx.dir("stale")
    e = []
    objs = make_leftovers(ctx, name, d, False, e, out)
    if objs:
        rc, text = cleanup_name(name)
        out.append("--cleanup %s: exit %s %s" % (name, fmt_rc(rc),
                                                 tail(text, 1)))
        if rc != 0:
            e.append("--cleanup: exit %s: %s" % (fmt_rc(rc), text.strip()))
        check_no_ipc(name, e, what=" after --cleanup")
    finish_resume(ctx, name, d, ctx.inputs2, e)
    errors.extend("cleanup: %s" % x for x in e)

    # (b) a new run with the same name replaces the leftovers.
    name, d = ctx.name("stale"), ctx.dir("stale")
    e = []
    objs = make_leftovers(ctx, name, d, False, e, out)
    if objs:
        r = ctx.launcher(name, d, ctx.inputs2.paths, resume=True)
        rc = r.wait(ctx.long_wait())
        r.reap_group()
        out.append("new run with the same name over the leftovers: exit %s"
                   % fmt_rc(rc))
        if rc != 0:
            e.append("run over leftovers: exit %s: %s" % (
                fmt_rc(rc), tail(r.stderr())))
        check_final(ctx.inputs2, d, name, e)
    else:
        finish_resume(ctx, name, d, ctx.inputs2, e)
    errors.extend("same name: %s" % x for x in e)

    # (c) --cleanup of a running pipeline is refused.
    name, d = ctx.name("stale"), ctx.dir("stale")
    e = []
    r = ctx.launcher(name, d, ctx.inputs2.paths)
    mid_run(ctx, r, d, 0.1, 0.4)
    running = r.poll() is None
    before = shm_objects(name)
    rc, text = cleanup_name(name)
    after = shm_objects(name)
    still = r.poll() is None
    out.append("--cleanup of a running pipeline: exit %s %s" % (
        fmt_rc(rc), tail(text, 1)))
    if not (running and still):
        e.append("the pipeline was not running around --cleanup; "
                 "inconclusive")
    if rc != 1:
        e.append("--cleanup of a running pipeline: exit %s, want 1" %
                 fmt_rc(rc))
    if before and after != before:
        e.append("--cleanup removed objects of a running pipeline: %s" %
                 sorted(set(before) - set(after)))
    rc2 = r.wait(ctx.long_wait())
    r.reap_group()
    if rc2 != 0:
        e.append("the run after the refused --cleanup: exit %s: %s" % (
            fmt_rc(rc2), tail(r.stderr())))
    check_final(ctx.inputs2, d, name, e)
    errors.extend("cleanup-running: %s" % x for x in e)

    # (d) The three stages of a new run replacing one dead run's leftovers
    # at once, several times: none may remove what another has just made
    # (was repro/stale_takeover_race.py: a hang, or exit 1 from opening
    # the dead run's semaphores while another stage removed them).  The
    # dead run is killed soon after its stages started; the new one has a
    # small input, so that the rounds are quick.
    small = ctx.small_inputs()
    rounds = 20 if ctx.args.soak else 5
    replaced = 0
    for k in range(rounds):
        name, d = ctx.name("takeover"), ctx.dir("takeover")
        e = []
        r = ctx.launcher(name, d, ctx.inputs2.paths)
        if wait_stages(r, name, time.monotonic() + ctx.long_wait()):
            end = time.monotonic() + ctx.rng.uniform(0, 0.3)
            while time.monotonic() < end and r.poll() is None:
                time.sleep(0.005)
        if r.poll() is not None:
            e.append("run ended (exit %s) before killpg" % r.rc)
        killpg(r.pgid)
        FIG.killpg += 1
        r.wait(5)
        left = wait_gone(name, time.monotonic() + GONE_WAIT)
        if left:
            FIG.procs_left += len(left)
            e.append("processes survive killpg SIGKILL: %s" % left)
        if shm_objects(name):
            replaced += 1
            d2 = ctx.dir("takeover")
            n = ctx.launcher(name, d2, small.paths)
            rc = n.wait(ctx.long_wait())
            n.reap_group()
            if rc != 0:
                e.append("run over the leftovers: exit %s: %s" % (
                    fmt_rc(rc), digest(n.stderr())))
            check_final(small, d2, name, e)
        else:
            cleanup_name(name)
        errors.extend("takeover %d: %s" % (k + 1, x) for x in e)
    out.append("%d of %d new runs replaced a dead run's IPC objects" % (
        replaced, rounds))
    if replaced == 0:
        errors.append("takeover: no killed run left IPC objects to "
                      "replace; inconclusive")
    return errors


SCENARIOS = [("baseline", sc_baseline), ("storm", sc_storm),
             ("early", sc_early), ("pair", sc_pair),
             ("diskfull", sc_diskfull), ("signals", sc_signals),
             ("lock", sc_lock), ("stale", sc_stale)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=None,
                    help="SIGKILLs in the storm (default 24; --soak 300)")
    ap.add_argument("--rows", type=int, default=200000,
                    help="input rows, over two files (default 200000)")
    ap.add_argument("--seed", type=int, default=None,
                    help="random seed (default: random, printed)")
    ap.add_argument("--soak", action="store_true",
                    help="hundreds of kills (300 unless --kills)")
    ap.add_argument("--only", default="",
                    help="comma-separated scenarios to run (baseline "
                    "always runs)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    args = ap.parse_args()
    if args.kills is None:
        args.kills = 300 if args.soak else 24
    if args.seed is None:
        args.seed = random.randrange(1, 1 << 30)
    if not os.access(LAUNCHER, os.X_OK):
        print("faults: cannot run %s (make first, or set CSVPACK_BIN)" %
              LAUNCHER)
        print("faults: 0 passed, 1 failed")
        return 1
    only = {s for s in args.only.split(",") if s}
    global POOL
    try:
        POOL = concurrent.futures.ProcessPoolExecutor(
            max_workers=max(2, os.cpu_count() or 2),
            mp_context=multiprocessing.get_context("fork"))
    except (OSError, ValueError):
        POOL = None
    t_all = time.monotonic()
    print("faults: bin=%s rows=%d kills=%d seed=%d" % (
        BIN, args.rows, args.kills, args.seed), flush=True)
    try:
        ctx = Ctx(args)
    except (RuntimeError, OSError) as ex:
        print("faults: %s" % ex)
        print("faults: 0 passed, 1 failed")
        return 1
    passed = failed = skipped = 0
    try:
        for sname, fn in SCENARIOS:
            if only and sname not in only and sname != "baseline":
                continue
            t = time.monotonic()
            out = []
            try:
                res = fn(ctx, out)
            except Exception as ex:  # a bug in the test is a failure too
                import traceback
                res = ["exception: %s" % traceback.format_exc()]
            dt = time.monotonic() - t
            if isinstance(res, str):
                print("SKIP %-9s (%.1fs) %s" % (sname, dt, res), flush=True)
                skipped += 1
                continue
            verdict = "PASS" if not res else "FAIL"
            print("%s %-9s (%.1fs)" % (verdict, sname, dt), flush=True)
            for line in out:
                print("    " + line)
            for e in res:
                print("  ! " + e)
            sys.stdout.flush()
            if res:
                failed += 1
            else:
                passed += 1
    finally:
        for m in list(ctx.mounts):
            umount(ctx, m)
        # Final sweep: nothing of ours may be running or left in /dev/shm.
        stray_procs = [(n, p) for n in ALL_NAMES for p in named_procs(n)]
        stray_shm = [o for n in ALL_NAMES for o in shm_objects(n)]
        for n, (pid, _) in stray_procs:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for o in stray_shm:
            try:
                os.unlink(os.path.join(SHM, o))
            except OSError:
                pass
        if not args.keep and not ctx.mounts:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
        elif args.keep:
            print("kept %s" % ctx.tmp)
    if POOL:
        POOL.shutdown(wait=False, cancel_futures=True)
    if stray_procs or stray_shm:
        print("FAIL sweep: processes %s, /dev/shm %s" % (stray_procs,
                                                        stray_shm))
        FIG.procs_left += len(stray_procs)
        FIG.shm_left += len(stray_shm)
        failed += 1
    print("figures:")
    for line in FIG.lines():
        print("    " + line)
    print("runtime: %.1f s%s" % (time.monotonic() - t_all,
                                 ", %d skipped" % skipped if skipped else ""))
    print("faults: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
