#!/usr/bin/env python3
"""Fault-injection sweep for csvpack (spec guarantee 10, GitHub issue 10).

    CSVPACK_BIN=/abs/bin INJECT_SO=/abs/inject.so python3 tests/inject/sweep.py
        [--quick] [--only STAGE:FUNC[,...]] [-j N] [--keep] [--report FILE]
        [--timeout S] [--list]

The shim (tests/inject/inject.c, built as build/inject/inject.so by
`make inject`) makes the Nth call of one libc function fail with one errno
(or move half the bytes: "short") in one stage.  For every (stage, function)
two counting passes first learn how many calls N the stage makes
(the smaller count of the two); then one run
per injection point: every call index when N <= 30, else the first 5, the
last 5 and 10 evenly spaced between, each with every errno that makes sense
for the function, and for some a persistent failure ("ENOSPC+": that call
and every later one fail, as on a full disk).  --quick: the
first, the middle and the last call, with the function's first errno and
its retry cases (EINTR, short).

Stages (STAGE in --only):
  producer, converter, packer   one stage of `csvpack -o DIR -b 3 -r 50 IN...`
  check                         the launcher's pre-flight, `csvpack-admin
                                check` (parses options, checks the inputs)
  producer-enc                  the producer under --encoding ISO-8859-1
                                (iconv, iconv_open only)
  converter-stdout              `csvpack-converter --stdout IN`
  packer-dir                    `csvpack-packer --dir SRC -o DIR -b 3`
  verify                        `csvpack-admin verify DIR IN...` on a copy
                                of a good delivery (made once, by a clean
                                `csvpack -o DIR -b 3 -r 50 --manifest IN...`),
                                the inputs given: every row compared
  locate                        `csvpack-admin locate DIR IN2:ROW` on a copy
                                of verify's delivery, ROW the middle row of
                                in2.csv (IN2 named as the run named it)
  locate-line                   `csvpack-admin locate --line DIR IN2:LINE`,
                                LINE the second line of the multi-line row
                                of in2.csv nearest its middle

After each point: no hang (timeout: the process group is killed); exit 1
with a message naming the operation or a file, or exit 0 where the failure
is one to retry (EINTR, close's EINTR, a short transfer, EAGAIN on a
non-blocking descriptor), or exit 0 with the output exactly right
("survived"); no crash; nothing of the run in /dev/shm, no process of it
left; every DIR/NNNNNN.tgz complete (gzip -t, tarfile, XML); no row lost
(archived or staged rows are a prefix of the input); then a --resume run
(packer-dir: the same command again) without injection exits 0 and every
row stands in exactly one archive, field by field, in order.  verify
instead: nothing on stdout (a problem line caused by the failure of one
of verify's own calls is a false report of damage), exit 1 with a message
or exit 0 with the clean run's summary ("...: OK"; a write to stderr that
failed may cut it), never 65; DIR (every entry's type, mode, size, mtime)
and the inputs unchanged; no process of it left (it makes nothing in
/dev/shm and names no pipeline, so other people's pipelines are never
looked at).  locate (and locate-line) likewise: DIR and the inputs
unchanged, no process left; exit 1 with nothing on stdout and a message
naming the operation, the error or a file (INPUT:ROW itself, which every
message quotes, does not count) that does not say the row is not archived
(it is: that is a false answer, on stderr); or exit 0 with stdout exactly
the clean run's `DIR/ARCHIVE MEMBER` line (which the archives confirm) and
nothing on stderr.

Classes: ok-failed ok-survived not-reached BAD-hang BAD-crash (a signal,
or a sanitizer's report) BAD-status BAD-silent BAD-shm-left BAD-proc-left
BAD-archive BAD-lost BAD-dup BAD-resume BAD-wrote (verify or locate
changed DIR or an input) BAD-false-problem (verify printed a problem for a
good delivery) BAD-wrong-answer (locate printed another answer than the
clean run's, printed one though it failed, or said an archived row is not
archived).  stdout: one line per BAD point, `STAGE FUNC NTH ERRNO CLASS
DETAIL`, then a summary table.  Exit status 1 if any point is BAD, 2 when
the setup (baseline runs) fails.
"""

import argparse
import concurrent.futures
import csv
import io
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SRC_BIN = os.path.abspath(os.environ.get("CSVPACK_BIN")
                          or os.path.join(ROOT, "bin"))
BIN = SRC_BIN  # main() points it at a private copy
SHIM = os.path.abspath(os.environ.get("INJECT_SO")
                       or os.path.join(ROOT, "build", "inject", "inject.so"))
UID = os.getuid()
SHM = "/dev/shm"
BATCH = 3
ROWS = 50
EPOCH = "1700000000"

# What each function is failed with.  "short": half the bytes.
IO_R = ["EIO", "EINTR", "EAGAIN", "short"]
IO_W = ["EIO", "ENOSPC", "EINTR", "EAGAIN", "short"]
OPEN = ["EIO", "ENOSPC", "ENOMEM", "EMFILE", "EINTR"]
MODES = {
    "read": IO_R, "pread": IO_R, "pread64": IO_R, "__read_chk": IO_R,
    "__pread_chk": IO_R,
    "write": IO_W, "pwrite": IO_W, "pwrite64": IO_W,
    "open": OPEN, "open64": OPEN, "openat": OPEN, "openat64": OPEN,
    "__open_2": OPEN, "__openat_2": OPEN,
    "close": ["EIO", "EINTR"],
    "dup": ["EMFILE"],
    "fcntl": ["EINVAL", "EIO"], "fcntl64": ["EINVAL", "EIO"],
    "fsync": ["EIO", "ENOSPC", "EINTR"],
    "fdatasync": ["EIO", "ENOSPC", "EINTR"],
    "ftruncate": ["EIO", "EFBIG", "EINTR"],
    "ftruncate64": ["EIO", "EFBIG", "EINTR"],
    "rename": ["EIO", "ENOSPC"], "renameat": ["EIO", "ENOSPC"],
    "link": ["EIO", "ENOSPC"], "linkat": ["EIO", "ENOSPC"],
    "unlink": ["EIO", "EACCES"], "unlinkat": ["EIO", "EACCES"],
    "mkdir": ["EIO", "ENOSPC"], "mkdirat": ["EIO", "ENOSPC"],
    "access": ["EIO"],
    "stat": ["EIO", "ENOMEM"], "lstat": ["EIO", "ENOMEM"],
    "fstat": ["EIO", "ENOMEM"], "fstatat": ["EIO", "ENOMEM"],
    "mmap": ["ENOMEM", "EAGAIN"], "mmap64": ["ENOMEM", "EAGAIN"],
    "munmap": ["EINVAL"],
    "shm_open": ["EMFILE", "EACCES", "ENOMEM"],
    "shm_unlink": ["EACCES", "ENOENT"],
    "sem_open": ["EMFILE", "ENOMEM", "ENOSPC", "EACCES"],
    "sem_close": ["EINVAL"],
    "sem_unlink": ["EACCES", "ENOENT"],
    "sem_post": ["EINVAL", "EOVERFLOW"],
    "sem_trywait": ["EINTR", "EINVAL"],
    "sem_clockwait": ["EINTR", "EINVAL"],
    "sem_timedwait": ["EINTR", "EINVAL"],
    "sem_getvalue": ["EINVAL"],
    "malloc": ["ENOMEM"], "calloc": ["ENOMEM"], "realloc": ["ENOMEM"],
    "posix_memalign": ["ENOMEM"], "aligned_alloc": ["ENOMEM"],
    "iconv_open": ["ENOMEM", "EMFILE"],
    "iconv": ["EBADF", "EILSEQ"],
    "posix_fallocate": ["ENOSPC", "EIO", "EINTR", "EOPNOTSUPP"],
    "flock": ["EINTR", "ENOLCK", "EAGAIN"],
    "opendir": ["EMFILE", "ENOMEM"], "fdopendir": ["EMFILE", "ENOMEM"],
    "readdir": ["EIO"], "closedir": ["EIO"],
    "fopen": ["EIO", "ENOMEM", "EMFILE"],
    "fclose": ["EIO", "ENOSPC"],
    "fflush": ["EIO", "ENOSPC", "EPIPE"],
    "fwrite": ["EIO", "ENOSPC"],
    "getline": ["ENOMEM", "EIO"],
    "puts": ["EIO", "EPIPE"], "putc": ["EIO", "EPIPE"],
    "fputs": ["EIO", "EPIPE"],
    "printf": ["EIO", "EPIPE"],
    "poll": ["EINTR", "ENOMEM"],
    "nanosleep": ["EINTR"],
    "sigaction": ["EINVAL"],
    "pthread_create": ["EAGAIN"],
}
# Persistent failures ("ERRNO+": the Nth call and every later one fail), as
# a full disk, a dying disk or exhausted memory are: the error paths'
# own calls fail too.  Full sweep only.
PERSISTENT = {
    "ENOSPC+": ["write", "pwrite", "pwrite64", "fsync", "fdatasync",
                "posix_fallocate", "ftruncate", "mkdir", "mkdirat",
                "open", "openat", "linkat", "renameat", "fwrite",
                "fflush"],
    "EIO+": ["read", "pread", "pread64"],
    "ENOMEM+": ["malloc", "calloc", "realloc"],
}
for _m, _fs in PERSISTENT.items():
    for _f in _fs:
        MODES[_f] = MODES[_f] + [_m]

# Exit statuses besides 0 and 1 that are right for a point: an injected
# EILSEQ from iconv is indistinguishable from bad input.
EXTRA_OK = {("iconv", "EILSEQ"): {65}}
STRERROR = {n: os.strerror(getattr(__import__("errno"), n.rstrip("+")))
            for n in {m for ms in MODES.values() for m in ms} if n != "short"}

SEVERITY = ["BAD-hang", "BAD-crash", "BAD-wrong-answer", "BAD-wrote",
            "BAD-false-problem", "BAD-lost", "BAD-dup", "BAD-archive",
            "BAD-resume", "BAD-shm-left", "BAD-proc-left", "BAD-status",
            "BAD-silent"]
CLASSES = ["ok-failed", "ok-survived", "not-reached"] + SEVERITY

ARCHIVE_RE = re.compile(r"^\d{6}\.tgz$")
DOC_RE = re.compile(r"^\d{6,}\.xml$")


# ------------------------------------------------------------------ corpus

def random_value(rnd, latin1):
    pool = ["plain", "with, comma", 'say "hi"', "two\nlines", "", " pad ",
            "<tag> & amp", "caf\u00e9", "stra\u00dfe", "na\u00efve; x",
            "multi\nline\nvalue, \"q\""]
    if not latin1:
        pool += ["\u80a1\u7968", "emoji \U0001F600", "\u00fcber \u4e2d"]
    v = rnd.choice(pool)
    if rnd.random() < 0.3:
        v += str(rnd.randint(0, 99999))
    return v


def make_corpus(d, latin1=False):
    """Three inputs: LF, CRLF, and LF without a final newline."""
    rnd = random.Random(10 if not latin1 else 11)
    specs = [("in1.csv", 150, "\n", True), ("in2.csv", 200, "\r\n", True),
             ("in3.csv", 120, "\n", False)]
    enc = "latin-1" if latin1 else "utf-8"
    paths = []
    for name, n, term, final_nl in specs:
        header = ["id", "name", "note", "price", "city"]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator=term)
        w.writerow(header)
        for i in range(n):
            w.writerow([str(i), random_value(rnd, latin1),
                        random_value(rnd, latin1),
                        "%d.%02d" % (rnd.randint(0, 999), rnd.randint(0, 99)),
                        random_value(rnd, latin1)])
        text = buf.getvalue()
        if not final_nl:
            text = text[:-len(term)]
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(text.encode(enc))
        paths.append(p)
    return paths


def expected_rows(paths, encoding="utf-8"):
    """[(source, line, fields)] in input order."""
    out = []
    for p in paths:
        with open(p, newline="", encoding=encoding) as f:
            r = csv.reader(f)
            prev = 0
            first = True
            for rec in r:
                start = prev + 1
                prev = r.line_num
                if not rec:
                    continue
                if first:
                    first = False
                    continue
                out.append((p, start, tuple(rec)))
    return out


# ------------------------------------------------------------- processes

def run_cmd(cmd, env, cwd, out_path, err_path, timeout):
    """Runs cmd in its own process group.  Returns (rc, hung, leftover
    pids of its group after it exited)."""
    with open(out_path, "wb") as o, open(err_path, "wb") as e:
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=o, stderr=e, start_new_session=True)
    hung = False
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        hung = True
        kill_group(p.pid)
        rc = p.wait()
    left = []
    if not hung:
        deadline = time.monotonic() + 1.0
        while group_alive(p.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if group_alive(p.pid):
            left = group_members(p.pid)
            kill_group(p.pid)
    return rc, hung, left


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    deadline = time.monotonic() + 5
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def group_members(pgid):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append("%s(%s)" % (pid, st[st.index("(") + 1:st.rindex(")")]))
        except (OSError, ValueError, IndexError):
            pass
    return found


def procs_with(substring):
    """Live processes whose command line contains substring."""
    hits = []
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cl = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
            if st[st.rindex(")") + 2] == "Z":
                continue
        except OSError:
            continue
        if substring in cl:
            hits.append((int(pid), cl.strip()))
    return hits


def shm_of(name):
    base = "csvpack-%d-%s" % (UID, name)
    left = []
    try:
        entries = os.listdir(SHM)
    except OSError:
        return left
    for e in entries:
        n = e[4:] if e.startswith("sem.") else e
        if n == base or n.startswith(base + "."):
            left.append(e)
    return left


def remove_shm(name):
    for e in shm_of(name):
        try:
            os.unlink(os.path.join(SHM, e))
        except OSError:
            pass


def parse_log(path):
    inj, crashes, exits = [], [], []
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return inj, crashes, exits
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if parts[0] == "inject":
            inj.append(kv)
        elif parts[0] == "crash":
            crashes.append(kv)
        elif parts[0] == "exit":
            exits.append(kv)
    return inj, crashes, exits


# -------------------------------------------------------------- checking

class Bad(Exception):
    pass


def gzip_ok(path):
    try:
        r = subprocess.run(["gzip", "-t", path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=30)
        return r.returncode == 0, r.stderr.decode(errors="replace").strip()
    except subprocess.TimeoutExpired:
        return False, "gzip -t timed out"


def read_archive(path):
    """[(member name, bytes)], or raises Bad."""
    ok, why = gzip_ok(path)
    if not ok:
        raise Bad("%s: gzip -t: %s" % (os.path.basename(path), why))
    members = []
    try:
        with tarfile.open(path, "r:gz") as t:
            for m in t:
                if not m.isreg():
                    raise Bad("%s: member %s is not a regular file"
                              % (os.path.basename(path), m.name))
                members.append((m.name, t.extractfile(m).read()))
    except (tarfile.TarError, OSError, EOFError) as ex:
        raise Bad("%s: tarfile: %s" % (os.path.basename(path), ex))
    return members


def doc_rows(data):
    """(source, sid, [(line, fields)]) of an XML document; raises
    ET.ParseError (or ValueError) when it is not a complete document."""
    root = ET.fromstring(data)
    rows = []
    for row in root:
        rows.append((int(row.get("line")),
                     tuple((c.text or "") for c in row)))
    return root.get("source"), int(root.get("sid")), rows


def archives_of(outdir):
    try:
        names = sorted(n for n in os.listdir(outdir) if ARCHIVE_RE.match(n))
    except FileNotFoundError:
        names = []
    return names


def scan_pipeline_dir(outdir):
    """Archived rows [(archive, member, source, line, fields)], staged rows
    (complete documents only), problems (BAD-archive details)."""
    archived, staged, problems = [], [], []
    for a in archives_of(outdir):
        try:
            members = read_archive(os.path.join(outdir, a))
        except Bad as ex:
            problems.append(str(ex))
            continue
        for mname, data in members:
            if not DOC_RE.match(mname):
                continue
            try:
                src, sid, rows = doc_rows(data)
            except (ET.ParseError, ValueError, TypeError) as ex:
                problems.append("%s/%s: not a complete document: %s"
                                % (a, mname, ex))
                continue
            if sid != int(mname[:-4]):
                problems.append("%s/%s: sid %d" % (a, mname, sid))
            for line, fields in rows:
                archived.append((a, mname, src, line, fields))
    sdir = os.path.join(outdir, ".csvpack-staging")
    if os.path.isdir(sdir):
        for n in sorted(os.listdir(sdir)):
            if not DOC_RE.match(n):
                continue
            try:
                with open(os.path.join(sdir, n), "rb") as f:
                    src, sid, rows = doc_rows(f.read())
            except (OSError, ET.ParseError, ValueError, TypeError):
                continue  # cut short: not counted as holding rows
            for line, fields in rows:
                staged.append(("staging", n, src, line, fields))
    return archived, staged, problems


def summarize(items, what):
    """One text for many rows: the count and the first."""
    if not items:
        return None
    return "%d %s, first %s" % (len(items), what, items[0])


def check_no_loss(expected, archived, staged):
    """Before the resume: no row twice in archives, and what is archived or
    staged is a prefix of the input (a gap is a deleted document)."""
    problems = {}
    seen, dups = {}, []
    for a, m, src, line, fields in archived:
        k = (src, line)
        if k in seen:
            dups.append("%s:%d in %s and %s/%s" % (
                os.path.basename(src), line, seen[k], a, m))
        seen[k] = "%s/%s" % (a, m)
    if dups:
        problems["BAD-dup"] = [summarize(dups, "rows archived twice")]
    present = set(seen) | {(s, l) for _, _, s, l, _ in staged}
    keys = [(s, l) for s, l, _ in expected]
    first_missing = None
    for i, k in enumerate(keys):
        if k not in present:
            first_missing = i
            break
    if first_missing is not None:
        later = [k for k in keys[first_missing:] if k in present]
        if later:
            s, l = keys[first_missing]
            problems["BAD-lost"] = [
                "%s:%d neither archived nor staged, but %s:%d is"
                % (os.path.basename(s), l, os.path.basename(later[0][0]),
                   later[0][1])]
    return problems


def check_exactly_once(expected, archived, ordered="BAD-lost"):
    problems = {}
    want = {(s, l): f for s, l, f in expected}
    got = {}
    dups, strangers, differ = [], [], []
    for a, m, src, line, fields in archived:
        k = (src, line)
        if k in got:
            dups.append("%s:%d in %s and %s/%s" % (
                os.path.basename(src), line, got[k][0], a, m))
            continue
        got[k] = ("%s/%s" % (a, m), fields)
        if k not in want:
            strangers.append("%s:%d in %s/%s" % (src, line, a, m))
        elif want[k] != fields:
            differ.append("%s:%d in %s/%s" % (os.path.basename(src), line,
                                               a, m))
    missing = ["%s:%d" % (os.path.basename(k[0]), k[1])
               for k in want if k not in got]
    for cls, items, what in (("BAD-dup", dups, "rows twice"),
                             ("BAD-dup", strangers, "rows not in the input"),
                             ("BAD-lost", differ, "rows differ"),
                             ("BAD-lost", missing, "rows missing")):
        if items:
            problems.setdefault(cls, []).append(summarize(items, what))
    last = {}
    for a, m, src, line, fields in archived:
        if line <= last.get(src, 0):
            problems.setdefault(ordered, []).append(
                "out of order: %s:%d after line %d" % (
                    os.path.basename(src), line, last[src]))
            break
        last[src] = line
    return problems


def leftovers(outdir):
    """What a successful run must not leave: staged documents, temporaries."""
    left = []
    sdir = os.path.join(outdir, ".csvpack-staging")
    if os.path.isdir(sdir):
        docs = [n for n in os.listdir(sdir) if DOC_RE.match(n)]
        if docs:
            left.append("staging holds %s" % ",".join(sorted(docs)[:4]))
    for n in os.listdir(outdir) if os.path.isdir(outdir) else []:
        if n.endswith(".tmp"):
            left.append(n)
    return left


def sensible_message(err, func, mode):
    """Does stderr name the operation, a file or the error?"""
    if mode in STRERROR and STRERROR[mode].lower() in err.lower():
        return True
    low = err.lower()
    if "out of memory" in low or "cannot allocate" in low:
        return True
    base = func.lstrip("_").replace("_chk", "").replace("_2", "")
    base = re.sub(r"64$", "", base)
    if re.search(r"\b%s\b" % re.escape(base), err):
        return True
    if re.search(r"[\w.-]*/[\w.-]+", err.replace("MB/s", "")):
        return True
    return False


# --------------------------------------------------------------- targets

class Ctx:
    """What the points share: corpus, baselines, options."""

    def __init__(self, work, timeout, keep):
        self.work = work
        self.timeout = timeout
        self.keep = keep
        cdir = os.path.join(work, "corpus")
        os.makedirs(cdir)
        self.inputs = make_corpus(cdir)
        self.expected = expected_rows(self.inputs)
        ldir = os.path.join(work, "corpus-latin1")
        os.makedirs(ldir)
        self.inputs_l1 = make_corpus(ldir, latin1=True)
        self.expected_l1 = expected_rows(self.inputs_l1, "latin-1")
        self.base_env = dict(os.environ)
        for k in list(self.base_env):
            if k.startswith("INJECT_") or k in ("LD_PRELOAD", "CSVPACK_NAME"):
                del self.base_env[k]
        self.base_env["SOURCE_DATE_EPOCH"] = EPOCH
        self.base_env["LC_ALL"] = "C"
        self.seq = 0
        self.lock = threading.Lock()
        self.stdout_ref = None
        self.docs = None        # packer-dir: {name: bytes}
        self.archives_ref = {}  # stage key -> [archive bytes]
        self.verify_src = None      # verify: the delivery, made once
        self.verify_listing = None  # ... its tree_listing
        self.inputs_listing = None  # ... and files_listing(inputs)
        self.verify_summary = None  # the clean verify's last stderr line
        # locate: stage -> (--line?, N, the row's (source, line)), and the
        # answer's (archive, member), from the archives
        self.locate_targets = locate_targets(self.inputs[1], self.expected)
        self.locate_want = {}

    def new_dir(self, tag):
        with self.lock:
            self.seq += 1
            n = self.seq
        d = os.path.join(self.work, "p%05d-%s" % (n, tag))
        os.makedirs(d)
        return d, "inj-%d-%d" % (os.getpid(), n)


def pipeline_cmd(ctx, d, name, enc=False, resume=False, manifest=False):
    cmd = [os.path.join(BIN, "csvpack"), "-q", "-o", os.path.join(d, "out"),
           "-b", str(BATCH), "-r", str(ROWS), "--name", name]
    if enc:
        cmd += ["--encoding", "ISO-8859-1"]
    if resume:
        cmd.append("--resume")
    if manifest:
        cmd.append("--manifest")
    return cmd + (ctx.inputs_l1 if enc else ctx.inputs)


def stdout_cmd(ctx, d, name):
    return [os.path.join(BIN, "csvpack-converter"), "-q", "--stdout",
            ctx.inputs[1]]


def dir_cmd(ctx, d, name):
    return [os.path.join(BIN, "csvpack-packer"), "-q", "--dir",
            os.path.join(d, "src"), "-o", os.path.join(d, "out"),
            "-b", str(BATCH)]


def verify_cmd(ctx, d, name):
    """With the inputs, as the run named them: every row is compared."""
    return [os.path.join(BIN, "csvpack-admin"), "verify",
            os.path.join(d, "out")] + ctx.inputs


def locate_targets(input2, expected):
    """The rows the locate stages ask for: the middle row of in2.csv by
    ROW, and by LINE the second line of its multi-line row nearest the
    middle (the middle row's first line when it has none)."""
    starts = [l for s, l, _ in expected if s == input2]
    mid = len(starts) // 2  # ROW mid starts on starts[mid - 1]
    # rows (0-based) whose next row starts two or more lines later
    multi = [i for i in range(len(starts) - 1)
             if starts[i + 1] - starts[i] >= 2]
    if multi:
        k = min(multi, key=lambda i: (abs(i - (mid - 1)), i))
        line = starts[k] + 1
    else:
        k = mid - 1
        line = starts[k]
    return {
        "locate": (False, mid, (input2, starts[mid - 1])),
        "locate-line": (True, line, (input2, starts[k])),
    }


def locate_arg(ctx, stage):
    _, n, _ = ctx.locate_targets[stage]
    return "%s:%d" % (ctx.inputs[1], n)


def locate_cmd(ctx, d, stage):
    by_line = ctx.locate_targets[stage][0]
    return ([os.path.join(BIN, "csvpack-admin"), "locate"] +
            (["--line"] if by_line else []) +
            [os.path.join(d, "out"), locate_arg(ctx, stage)])


def locate_answer(ctx, stage, d):
    """The line a right answer prints for the point's DIR."""
    a, m = ctx.locate_want[stage]
    return ("%s/%s %s\n" % (os.path.join(d, "out"), a, m)).encode()


# stage key -> (program the shim matches, kind)
STAGES = {
    "producer": ("csvpack-producer", "pipeline"),
    "converter": ("csvpack-converter", "pipeline"),
    "packer": ("csvpack-packer", "pipeline"),
    "check": ("csvpack-admin", "pipeline"),
    "producer-enc": ("csvpack-producer", "enc"),
    "converter-stdout": ("csvpack-converter", "stdout"),
    "packer-dir": ("csvpack-packer", "dir"),
    "verify": ("csvpack-admin", "verify"),
    "locate": ("csvpack-admin", "locate"),
    "locate-line": ("csvpack-admin", "locate"),
}
ENC_FUNCS = {"iconv", "iconv_open"}


def command(ctx, stage, d, name):
    """The point's command line, after laying out what it reads (--dir:
    a fresh SRC of the clean run's documents)."""
    if STAGES[stage][1] == "dir":
        os.makedirs(os.path.join(d, "src"))
        for n, data in ctx.docs.items():
            with open(os.path.join(d, "src", n), "wb") as f:
                f.write(data)
    elif STAGES[stage][1] in ("verify", "locate"):
        # A copy of the delivery, mtimes kept: a point that writes to it
        # cannot upset the others.
        shutil.copytree(verify_source(ctx), os.path.join(d, "out"),
                        symlinks=True)
    return command_preview(ctx, stage, d, name)


def inject_env(ctx, stage, d, func=None, nth=None, mode=None, count=False):
    env = dict(ctx.base_env)
    env["LD_PRELOAD"] = SHIM
    env["INJECT_STAGE"] = STAGES[stage][0]
    # The launcher's cleanup when it exits is not part of the run.
    env["INJECT_SKIP_ARGS"] = "--cleanup,cleanup"
    env["INJECT_LOG"] = os.path.join(d, "inject.log")
    if count:
        env["INJECT_COUNT"] = os.path.join(d, "counts")
    if func:
        env["INJECT_FUNC"] = func
        env["INJECT_NTH"] = str(nth) + ("+" if mode.endswith("+") else "")
        env["INJECT_BT"] = "1"
        if mode == "short":
            env["INJECT_MODE"] = "short"
        else:
            env["INJECT_ERRNO"] = mode.rstrip("+")
    return env


def repro_line(ctx, stage, d, name, func, nth, mode):
    env = inject_env(ctx, stage, d, func, nth, mode)
    keys = ["LD_PRELOAD", "INJECT_STAGE", "INJECT_SKIP_ARGS", "INJECT_FUNC",
            "INJECT_NTH", "INJECT_ERRNO", "INJECT_MODE", "INJECT_LOG",
            "INJECT_BT", "SOURCE_DATE_EPOCH"]
    pre = " ".join("%s=%s" % (k, env[k]) for k in keys if k in env)
    cmd = command_preview(ctx, stage, d, name)
    return "%s %s" % (pre, " ".join(shell_quote(c) for c in cmd))


def command_preview(ctx, stage, d, name):
    kind = STAGES[stage][1]
    if kind == "pipeline":
        return pipeline_cmd(ctx, d, name)
    if kind == "enc":
        return pipeline_cmd(ctx, d, name, enc=True)
    if kind == "stdout":
        return stdout_cmd(ctx, d, name)
    if kind == "verify":
        return verify_cmd(ctx, d, name)
    if kind == "locate":
        return locate_cmd(ctx, d, stage)
    return dir_cmd(ctx, d, name)


def shell_quote(s):
    if re.match(r"^[\w@%+=:,./-]+$", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


# --------------------------------------------------------------- baseline

def baseline(ctx, stage):
    """A counting run: {func: N}.  Raises Bad when the run is not clean."""
    d, name = ctx.new_dir("count-" + stage)
    cmd = command(ctx, stage, d, name)
    env = inject_env(ctx, stage, d, count=True)
    rc, hung, left = run_cmd(cmd, env, d, os.path.join(d, "stdout"),
                             os.path.join(d, "stderr"), ctx.timeout)
    err = open(os.path.join(d, "stderr"), errors="replace").read()
    if hung or rc != 0:
        raise Bad("baseline %s: rc=%s hung=%s: %s" % (stage, rc, hung, err))
    kind = STAGES[stage][1]
    if kind in ("pipeline", "enc"):
        exp = ctx.expected_l1 if kind == "enc" else ctx.expected
        archived, staged, problems = scan_pipeline_dir(os.path.join(d, "out"))
        got = [(s, l, f) for _, _, s, l, f in archived]
        if problems or got != exp or staged:
            raise Bad("baseline %s: output not exact (%s)" % (stage, problems))
        ctx.archives_ref[kind] = archive_bytes(os.path.join(d, "out"))
        if ctx.docs is None and kind == "pipeline":
            docs = {}
            for a in archives_of(os.path.join(d, "out")):
                for m, data in read_archive(os.path.join(d, "out", a)):
                    docs[m] = data
            ctx.docs = docs
            os.makedirs(os.path.join(ctx.work, "docs"))
            for m, data in docs.items():
                with open(os.path.join(ctx.work, "docs", m), "wb") as f:
                    f.write(data)
    elif kind == "stdout":
        ctx.stdout_ref = open(os.path.join(d, "stdout"), "rb").read()
    elif kind == "verify":
        out = open(os.path.join(d, "stdout"), "rb").read()
        last = (err.strip().splitlines() or [""])[-1]
        if out or not last.endswith(": OK"):
            raise Bad("baseline %s: the clean delivery not verified OK "
                      "(stdout %r, stderr %r)" % (stage, out[:200], err))
        changed = listing_diff(ctx.verify_listing,
                               tree_listing(os.path.join(d, "out")))
        if changed:
            raise Bad("baseline %s: verify wrote to DIR: %s"
                      % (stage, "; ".join(changed[:3])))
        ctx.verify_summary = last
    elif kind == "locate":
        # The answer the archives give, which the clean run must print.
        _, _, key = ctx.locate_targets[stage]
        holders = [(a, m) for a, m, s, l, _ in
                   scan_pipeline_dir(verify_source(ctx))[0] if (s, l) == key]
        if len(holders) != 1:
            raise Bad("baseline %s: %s:%d in %d archived documents"
                      % (stage, key[0], key[1], len(holders)))
        ctx.locate_want[stage] = holders[0]
        out = open(os.path.join(d, "stdout"), "rb").read()
        if out != locate_answer(ctx, stage, d) or err:
            raise Bad("baseline %s: the clean locate's answer is not the "
                      "archives' %r (stdout %r, stderr %r)"
                      % (stage, locate_answer(ctx, stage, d), out[:200],
                         err[:200]))
        changed = listing_diff(ctx.verify_listing,
                               tree_listing(os.path.join(d, "out")))
        if changed:
            raise Bad("baseline %s: locate wrote to DIR: %s"
                      % (stage, "; ".join(changed[:3])))
    counts = {}
    try:
        with open(os.path.join(d, "counts")) as f:
            for line in f:
                pid, prog, func, n = line.split()
                counts[func] = max(counts.get(func, 0), int(n))
    except FileNotFoundError:
        pass
    remove_shm(name)
    shutil.rmtree(d, ignore_errors=True)
    return counts


def archive_bytes(outdir):
    out = []
    for a in archives_of(outdir):
        with open(os.path.join(outdir, a), "rb") as f:
            out.append(f.read())
    return out


def verify_source(ctx):
    """The delivery the verify points check, made once by a clean run
    with --manifest: ctx.work/verify-src/out."""
    with ctx.lock:
        if ctx.verify_src:
            return ctx.verify_src
        d = os.path.join(ctx.work, "verify-src")
        os.makedirs(d)
        name = "inj-%d-verify" % os.getpid()
        cmd = pipeline_cmd(ctx, d, name, manifest=True)
        rc, hung, left = run_cmd(cmd, ctx.base_env, d,
                                 os.path.join(d, "stdout"),
                                 os.path.join(d, "stderr"), ctx.timeout)
        remove_shm(name)
        err = open(os.path.join(d, "stderr"), errors="replace").read()
        if hung or rc != 0:
            raise Bad("baseline verify: the run making DIR: rc=%s hung=%s: "
                      "%s" % (rc, hung, err))
        outdir = os.path.join(d, "out")
        archived, staged, problems = scan_pipeline_dir(outdir)
        got = [(s, l, f) for _, _, s, l, f in archived]
        if problems or got != ctx.expected or staged:
            raise Bad("baseline verify: DIR not exact (%s)" % problems)
        for a in archives_of(outdir):
            if "SHA256SUMS" not in [m for m, _ in
                                    read_archive(os.path.join(outdir, a))]:
                raise Bad("baseline verify: %s without SHA256SUMS "
                          "(--manifest)" % a)
        ctx.verify_listing = tree_listing(outdir)
        ctx.inputs_listing = files_listing(ctx.inputs)
        ctx.verify_src = outdir
        return outdir


def stat_key(st):
    return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
            st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
            st.st_mtime_ns)


def tree_listing(top):
    """{relative path: (type, mode, size, mtime)} of top and all under it,
    symlinks not followed."""
    out = {}
    try:
        out["."] = stat_key(os.lstat(top))
    except OSError:
        return out
    for dirpath, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            try:
                out[os.path.relpath(p, top)] = stat_key(os.lstat(p))
            except OSError:
                pass
    return out


def files_listing(paths):
    out = {}
    for p in paths:
        try:
            out[p] = stat_key(os.lstat(p))
        except OSError:
            pass
    return out


def listing_diff(before, after):
    """What changed, one text an entry."""
    said = []
    for k in sorted(set(before) | set(after)):
        if k not in after:
            said.append("%s removed" % k)
        elif k not in before:
            said.append("%s created" % k)
        elif before[k] != after[k]:
            b, a = before[k], after[k]
            what = [w for w, i in (("type", 0), ("mode", 1), ("size", 2),
                                   ("mtime", 3)) if b[i] != a[i]]
            said.append("%s: %s changed" % (k, ",".join(what)))
    return said


# ------------------------------------------------------------------ points

def indices(n, quick):
    if n <= 0:
        return []
    if quick:
        return sorted({1, (n + 1) // 2, n})
    if n <= 30:
        return list(range(1, n + 1))
    pick = set(range(1, 6)) | set(range(n - 4, n + 1))
    for i in range(1, 11):
        pick.add(1 + round(i * (n - 1) / 11))
    return sorted(pick)


def modes_for(func, quick):
    ms = MODES.get(func, ["EIO"])
    if not quick:
        return list(ms)
    ms = [m for m in ms if not m.endswith("+")]
    keep = [ms[0]] + [m for m in ("EINTR", "short") if m in ms]
    return list(dict.fromkeys(keep))


class Point:
    def __init__(self, stage, func, nth, mode):
        self.stage, self.func, self.nth, self.mode = stage, func, nth, mode
        self.cls = None
        self.detail = ""
        self.dir = None
        self.repro = ""
        self.secs = 0.0

    def line(self):
        return "%s %s %d %s %s %s" % (self.stage, self.func, self.nth,
                                      self.mode, self.cls, self.detail)


def run_point(ctx, pt):
    t0 = time.monotonic()
    d, name = ctx.new_dir("%s-%s-%d-%s" % (pt.stage, pt.func.strip("_"),
                                            pt.nth, pt.mode))
    pt.dir = d
    try:
        classify(ctx, pt, d, name)
    except Exception as ex:  # the sweep's own bug: say so, do not die
        pt.cls = "BAD-status"
        pt.detail = "sweep error: %r" % (ex,)
    pt.secs = time.monotonic() - t0
    remove_shm(name)
    for pid, cl in procs_with("--name " + name + " "):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    pt.repro = repro_line(ctx, pt.stage, d, name, pt.func, pt.nth, pt.mode)
    if pt.cls.startswith("BAD") and ctx.keep:
        prep = "rm -rf out inject.log"
        if STAGES[pt.stage][1] == "dir":
            prep += " src && mkdir src && cp %s/*.xml src/" % shell_quote(
                os.path.join(ctx.work, "docs"))
        elif STAGES[pt.stage][1] in ("verify", "locate"):
            prep += " && cp -a %s out" % shell_quote(ctx.verify_src)
        with open(os.path.join(d, "repro.sh"), "w") as f:
            f.write("#!/bin/sh\n# %s\ncd %s && %s && %s\n"
                    % (pt.line(), shell_quote(d), prep, pt.repro))
    else:
        shutil.rmtree(d, ignore_errors=True)
    return pt


def classify(ctx, pt, d, name):
    stage, func, mode = pt.stage, pt.func, pt.mode
    kind = STAGES[stage][1]
    cmd = command(ctx, stage, d, name)
    env = inject_env(ctx, stage, d, func, pt.nth, mode)
    outp, errp = os.path.join(d, "stdout"), os.path.join(d, "stderr")
    rc, hung, left = run_cmd(cmd, env, d, outp, errp, ctx.timeout)
    err = open(errp, errors="replace").read()
    inj, crashes, exits = parse_log(os.path.join(d, "inject.log"))
    errline = " | ".join(l.strip() for l in err.strip().splitlines()[:2])
    errline = errline.replace(d + "/", "")
    bad = {}

    def note(cls, text):
        bad.setdefault(cls, []).append(text)

    where = ""
    if inj:
        i0 = inj[0]
        where = " at " + (i0.get("path") or i0.get("file") or "-")
        bt = i0.get("bt", "")
        if bt:
            lib = [f.split("+")[0] for f in bt.split(",")[:1]
                   if not f.startswith("csvpack")]
            where += " in " + (lib[0] + " < " if lib else "") + symbolize(bt)
    if hung:
        note("BAD-hang", "no exit in %gs%s" % (ctx.timeout, where))
        if kind not in ("verify", "locate"):  # no pipeline of their own
            subprocess.run([os.path.join(BIN, "csvpack"), "--cleanup", name],
                           env=ctx.base_env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
            remove_shm(name)
        return finish(pt, bad, None, ctx.work)
    for c in crashes:
        note("BAD-crash", "%s died of signal %s in %s" % (
            c.get("prog"), c.get("sig"), symbolize(c.get("bt", ""), 5)))
    if rc < 0:
        note("BAD-crash", "signal %d" % -rc)
    elif rc > 128 and not crashes:
        note("BAD-crash", "exit %d" % rc)
    san = re.search(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer.*|"
                    r"runtime error: .*", err)
    if san:
        note("BAD-crash", san.group(0)[:160])
    if not inj and not bad:
        pt.cls = "not-reached"
        pt.detail = "rc=%d" % rc
        return
    if inj and inj[0].get("short") == "none":
        if not bad:
            pt.cls = "not-reached"
            pt.detail = "1-byte call, cannot be cut"
            return
    nb = inj[0].get("nb") == "1" if inj else False
    retry = mode in ("short", "EINTR") or (mode == "EAGAIN" and nb)
    ok_codes = {1} | EXTRA_OK.get((func, mode.rstrip("+")), set())

    # IPC and processes (verify and locate name no pipeline: only their
    # own process group is looked at, never /dev/shm, which other
    # pipelines use)
    if kind in ("pipeline", "enc"):
        shm = shm_of(name)
        if shm:
            note("BAD-shm-left", ",".join(shm))
        procs = procs_with("--name " + name + " ")
        if procs or left:
            note("BAD-proc-left", "; ".join(
                [c[:80] for _, c in procs] + left)[:200])
    elif left:
        note("BAD-proc-left", ",".join(left))

    stage_rc = [e.get("status") for e in exits]
    out = open(outp, "rb").read()
    said = err
    if kind in ("pipeline", "enc"):
        check_pipeline(ctx, pt, d, name, rc, out, kind, note)
    elif kind == "stdout":
        if rc == 0 and out != ctx.stdout_ref:
            note("BAD-lost", "exit 0 but the document differs from a clean "
                 "run's (%d bytes, want %d)" % (len(out), len(ctx.stdout_ref)))
    elif kind == "verify":
        check_verify(ctx, pt, d, rc, out, err, inj, note)
    elif kind == "locate":
        check_locate(ctx, pt, d, rc, out, err, note)
        # Every message quotes INPUT:ROW, and some INPUT, a path locate
        # never opens: it names no file.
        said = err.replace(locate_arg(ctx, pt.stage), "INPUT:ROW").replace(
            ctx.inputs[1], "INPUT")
    else:
        check_dir(ctx, pt, d, name, rc, out, note)

    # the exit status
    if rc == 0:
        if retry:
            pass
        # a hard error survived: the checks above said whether exactly
    elif rc in ok_codes and not retry:
        if not err.strip():
            note("BAD-silent", "exit %d, nothing on stderr" % rc)
        elif not sensible_message(said, func, mode):
            note("BAD-silent", "exit %d, vague: %s" % (rc, errline[:160]))
    elif rc >= 0 and not (rc > 128):
        if retry:
            note("BAD-status", "exit %d after %s (should be retried)%s: %s"
                 % (rc, "a short transfer" if mode == "short" else
                    mode + (" on a non-blocking fd" if nb else ""),
                    where, errline[:200]))
        else:
            note("BAD-status", "exit %d (want 1)%s: %s"
                 % (rc, where, errline[:200]))
    if stage_rc and not bad:
        pass
    finish(pt, bad, rc, ctx.work)


def symbolize(bt, limit=3):
    """csvpack frames of a shim backtrace as "func (file:line)", innermost
    first; needs addr2line (binutils), else the raw frames."""
    frames = [f.rsplit("+", 1) for f in bt.split(",") if "+" in f]
    ours = [(m, o) for m, o in frames if m.startswith("csvpack")][:limit]
    if not ours or not shutil.which("addr2line"):
        return ",".join("%s+%s" % f for f in ours)
    out = []
    for mod, off in ours:
        try:
            r = subprocess.run(["addr2line", "-f", "-s", "-e",
                                os.path.join(BIN, mod), off],
                               capture_output=True, text=True, timeout=10)
            lines = r.stdout.split("\n")
            if lines[0] in ("??", "_start"):
                continue
            out.append("%s(%s)" % (lines[0], lines[1].split(" (")[0]
                                   if len(lines) > 1 else "?"))
        except (OSError, subprocess.TimeoutExpired):
            out.append("%s+%s" % (mod, off))
    return " < ".join(out)


def finish(pt, bad, rc, work=None):
    for cls in SEVERITY:
        if cls in bad:
            pt.cls = cls
            others = [c for c in SEVERITY if c in bad and c != cls]
            pt.detail = "; ".join(bad[cls])
            if work:
                pt.detail = pt.detail.replace(work + "/", "")
            pt.detail = pt.detail[:400]
            if others:
                pt.detail += " [also " + ",".join(others) + "]"
            return
    pt.cls = "ok-survived" if rc == 0 else "ok-failed"


def check_pipeline(ctx, pt, d, name, rc, out, kind, note):
    outdir = os.path.join(d, "out")
    exp = ctx.expected_l1 if kind == "enc" else ctx.expected
    archived, staged, problems = scan_pipeline_dir(outdir)
    for p in problems:
        note("BAD-archive", p)
    for cls, texts in check_no_loss(exp, archived, staged).items():
        for t in texts:
            note(cls, t)
    if rc == 0:
        got = [(s, l, f) for _, _, s, l, f in archived]
        if got != exp:
            note("BAD-lost", "exit 0 but the archives hold %d of %d rows "
                 "(or not in order)" % (len(got), len(exp)))
        for lft in leftovers(outdir):
            note("BAD-lost", "exit 0 but " + lft)
        printed = out.decode(errors="replace").split()
        want = [os.path.join(outdir, a) for a in archives_of(outdir)]
        if printed != want and pt.mode != "EPIPE":
            note("BAD-status", "exit 0 but stdout lists %d of %d archives"
                 % (len([p for p in printed if p in want]), len(want)))
    # then --resume, without the shim
    rd, rname = d, name + "r"
    cmd = pipeline_cmd(ctx, rd, rname, enc=(kind == "enc"), resume=True)
    rrc, rhung, rleft = run_cmd(cmd, ctx.base_env, d,
                                os.path.join(d, "stdout.resume"),
                                os.path.join(d, "stderr.resume"), ctx.timeout)
    rerr = open(os.path.join(d, "stderr.resume"), errors="replace").read()
    remove_shm(rname)
    if rhung:
        note("BAD-resume", "the resume hangs")
        return
    if rrc != 0:
        note("BAD-resume", "resume exit %d: %s" % (
            rrc, " | ".join(rerr.strip().splitlines()[:2])[:200]))
        return
    archived, staged, problems = scan_pipeline_dir(outdir)
    for p in problems:
        note("BAD-archive", "after resume: " + p)
    for cls, texts in check_exactly_once(exp, archived,
                                         ordered="BAD-resume").items():
        for t in texts:
            note(cls, "after resume: " + t)
    for lft in leftovers(outdir):
        note("BAD-resume", "after resume: " + lft)


def check_verify(ctx, pt, d, rc, out, err, inj, note):
    """verify of a good delivery: a failure of verify itself is never a
    problem line; exit 0 only with the clean run's summary; DIR and the
    inputs untouched."""
    if out:
        lines = out.decode(errors="replace").splitlines()
        note("BAD-false-problem", "exit %d, %d line%s on stdout: %s" % (
            rc, len(lines), "" if len(lines) == 1 else "s",
            (lines[0] if lines else "")[:200]))
    if rc == 0:
        last = (err.strip().splitlines() or [""])[-1]
        # A failed write to stderr cuts the summary, and cannot be said.
        on_stderr = bool(inj) and inj[0].get("fd") == "2"
        if last != ctx.verify_summary and not on_stderr:
            note("BAD-status", "exit 0 but the summary is not the clean "
                 "run's: %r" % last[:200])
    changed = listing_diff(ctx.verify_listing,
                           tree_listing(os.path.join(d, "out")))
    changed += listing_diff(ctx.inputs_listing, files_listing(ctx.inputs))
    if changed:
        note("BAD-wrote", "; ".join(changed[:4]))


# What locate says of a row it does not find (admin/locate.c): of an
# archived row, a false answer.
NOT_ARCHIVED_RE = re.compile(r"not archived|holds no archived row|"
                             r"cannot tell by line")


def check_locate(ctx, pt, d, rc, out, err, note):
    """locate of a row a good delivery holds: exit 0 only with the clean
    run's answer and nothing on stderr; a failure prints no answer and
    does not say the row is not archived; DIR and the inputs untouched."""
    want = locate_answer(ctx, pt.stage, d)
    got = out.decode(errors="replace").replace(d + "/", "")
    if rc == 0:
        if out != want:
            note("BAD-wrong-answer", "exit 0, stdout %r (want %r)"
                 % (got[:200], want.decode().replace(d + "/", "")))
        if err.strip():
            note("BAD-status", "exit 0 but stderr: %s"
                 % err.strip().replace(d + "/", "")[:200])
    elif out == want:
        note("BAD-status", "exit %d but the answer is on stdout: %r"
             % (rc, got[:200]))
    elif out:
        note("BAD-wrong-answer", "exit %d and stdout %r" % (rc, got[:200]))
    if rc != 0:
        m = NOT_ARCHIVED_RE.search(err)
        if m:
            line = [l for l in err.splitlines() if m.group(0) in l][0]
            note("BAD-wrong-answer", "exit %d: the row is archived, but: %s"
                 % (rc, line.replace(d + "/", "")[:240]))
    changed = listing_diff(ctx.verify_listing,
                           tree_listing(os.path.join(d, "out")))
    changed += listing_diff(ctx.inputs_listing, files_listing(ctx.inputs))
    if changed:
        note("BAD-wrote", "; ".join(changed[:4]))


def check_dir(ctx, pt, d, name, rc, out, note):
    """packer --dir: each document in SRC (unchanged) or in one archive."""
    outdir = os.path.join(d, "out")
    src = os.path.join(d, "src")

    def scan():
        where, problems = {}, []
        for a in archives_of(outdir):
            try:
                members = read_archive(os.path.join(outdir, a))
            except Bad as ex:
                problems.append(str(ex))
                continue
            for m, data in members:
                where.setdefault(data, []).append("%s/%s" % (a, m))
        insrc = {}
        for n in os.listdir(src):
            if DOC_RE.match(n):
                with open(os.path.join(src, n), "rb") as f:
                    insrc[n] = f.read()
        return where, insrc, problems

    where, insrc, problems = scan()
    for p in problems:
        note("BAD-archive", p)
    for n, data in sorted(ctx.docs.items()):
        if len(where.get(data, [])) > 1:
            note("BAD-dup", "%s in %s" % (n, ",".join(where[data])))
        if n in insrc and insrc[n] != data:
            note("BAD-lost", "%s changed in SRC" % n)
        if data not in where and insrc.get(n) != data:
            note("BAD-lost", "%s neither in SRC nor in an archive" % n)
    if rc == 0:
        if insrc:
            note("BAD-lost", "exit 0 but SRC still holds %s"
                 % ",".join(sorted(insrc)[:3]))
        if archive_bytes(outdir) != ctx.archives_ref.get("pipeline"):
            pass  # --dir archives carry the current time: not compared
        printed = out.decode(errors="replace").split()
        want = [os.path.join(outdir, a) for a in archives_of(outdir)]
        if printed != want and pt.mode != "EPIPE":
            note("BAD-status", "exit 0 but stdout lists %d of %d archives"
                 % (len([p for p in printed if p in want]), len(want)))
    # again, without the shim
    rrc, rhung, rleft = run_cmd(dir_cmd(ctx, d, name), ctx.base_env, d,
                                os.path.join(d, "stdout.resume"),
                                os.path.join(d, "stderr.resume"), ctx.timeout)
    rerr = open(os.path.join(d, "stderr.resume"), errors="replace").read()
    if rhung:
        note("BAD-resume", "the second run hangs")
        return
    if rrc != 0 and not (rrc == 65 and not insrc):
        note("BAD-resume", "second run exit %d: %s" % (
            rrc, " | ".join(rerr.strip().splitlines()[:2])[:200]))
        return
    where, insrc, problems = scan()
    for p in problems:
        note("BAD-archive", "after the second run: " + p)
    for n, data in sorted(ctx.docs.items()):
        k = len(where.get(data, []))
        if k > 1:
            note("BAD-dup", "after the second run: %s in %s"
                 % (n, ",".join(where[data])))
        elif k == 0:
            note("BAD-lost", "after the second run: %s in no archive" % n)


# -------------------------------------------------------------------- main

def parse_only(spec):
    """[(stage or None, func or None)]"""
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        st, _, fn = item.partition(":")
        st = None if st in ("", "*") else st
        fn = None if fn in ("", "*") else fn
        if st and st not in STAGES:
            sys.exit("sweep: unknown stage %r (one of %s)"
                     % (st, ", ".join(STAGES)))
        out.append((st, fn))
    return out


def wanted(only, stage, func):
    if not only:
        return True
    return any((s is None or s == stage) and (f is None or f == func)
               for s, f in only)


def main(argv):
    ap = argparse.ArgumentParser(
        description="csvpack fault-injection sweep (see the module doc)")
    ap.add_argument("--quick", action="store_true",
                    help="a small fixed subset (first, middle and last call)")
    ap.add_argument("--only", default="",
                    help="STAGE:FUNC[,STAGE:FUNC...]; either part may be *")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true",
                    help="keep the dirs of BAD points (with repro.sh)")
    ap.add_argument("--report", help="write the BAD lines (and repro "
                    "commands) to this file")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--all", action="store_true",
                    help="print every point's line, not only the BAD ones")
    ap.add_argument("--list", action="store_true",
                    help="print the points and exit")
    ap.add_argument("--workdir", help="where the points run (default: a "
                    "new temporary dir)")
    args = ap.parse_args(argv)

    for prog in ("csvpack", "csvpack-producer", "csvpack-converter",
                 "csvpack-packer", "csvpack-admin"):
        if not os.access(os.path.join(SRC_BIN, prog), os.X_OK):
            sys.exit("sweep: %s/%s missing (make)" % (SRC_BIN, prog))
    if not os.path.exists(SHIM):
        sys.exit("sweep: %s missing (make build/inject/inject.so)" % SHIM)
    only = parse_only(args.only)
    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="csvpack-inject-", dir=args.workdir)
    # A private copy of the programs: a rebuild of bin/ during the sweep
    # must not change them under it (the launcher finds the stages next
    # to itself).
    global BIN
    BIN = os.path.join(work, "bin")
    os.makedirs(BIN)
    for prog in os.listdir(SRC_BIN):
        if prog.startswith("csvpack"):
            shutil.copy2(os.path.join(SRC_BIN, prog), BIN)
    ctx = Ctx(work, args.timeout, args.keep)

    stages = [s for s in STAGES
              if not only or any(st in (None, s) for st, _ in only)]
    if any(STAGES[s][1] == "dir" for s in stages) and "producer" not in stages:
        baseline(ctx, "producer")   # packer-dir takes its documents from it
    points = []
    for stage in stages:
        try:
            # Twice: timed waits and liveness checks make the number of
            # calls vary; the smaller count is the one later runs reach.
            c1, c2 = baseline(ctx, stage), baseline(ctx, stage)
            counts = {f: min(c1[f], c2[f]) if f in c1 and f in c2
                      else c1.get(f, c2.get(f)) for f in set(c1) | set(c2)}
        except Bad as ex:
            print("sweep: %s" % ex, file=sys.stderr)
            return 2
        for func in sorted(counts):
            if func not in MODES:
                continue
            if STAGES[stage][1] == "enc" and func not in ENC_FUNCS:
                continue
            if not wanted(only, stage, func):
                continue
            for nth in indices(counts[func], args.quick):
                for mode in modes_for(func, args.quick):
                    points.append(Point(stage, func, nth, mode))
        print("sweep: %-16s %s" % (stage, " ".join(
            "%s=%d" % (f, counts[f]) for f in sorted(counts))),
            file=sys.stderr)
    if args.list:
        for p in points:
            print(p.stage, p.func, p.nth, p.mode)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    print("sweep: %d points, -j %d, in %s" % (len(points), args.jobs, work),
          file=sys.stderr)

    done = 0
    last_note = time.monotonic()
    nbad = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(run_point, ctx, p) for p in points]
        for fut in concurrent.futures.as_completed(futs):
            p = fut.result()
            done += 1
            if p.cls.startswith("BAD"):
                nbad += 1
            if time.monotonic() - last_note > 30 or done == len(points):
                last_note = time.monotonic()
                print("sweep: %d/%d done, %d BAD, %.0f s" % (
                    done, len(points), nbad, time.monotonic() - t_start),
                    file=sys.stderr, flush=True)

    order = {s: i for i, s in enumerate(STAGES)}
    points.sort(key=lambda p: (order[p.stage], p.func, p.nth, p.mode))
    bads = [p for p in points if p.cls.startswith("BAD")]
    for p in (points if args.all else bads):
        print(p.line())
    if args.report:
        with open(args.report, "w") as f:
            for p in bads:
                f.write(p.line() + "\n")
                f.write("  # repro: %s\n" % p.repro)
                if args.keep:
                    f.write("  # kept: %s\n" % p.dir)
    counts = {c: 0 for c in CLASSES}
    for p in points:
        counts[p.cls] = counts.get(p.cls, 0) + 1
    per_stage = {}
    for p in points:
        per_stage.setdefault(p.stage, {}).setdefault(p.cls, 0)
        per_stage[p.stage][p.cls] += 1
    elapsed = time.monotonic() - t_start
    print()
    print("%-14s %6s" % ("class", "points"))
    for c in CLASSES:
        if counts.get(c):
            print("%-14s %6d" % (c, counts[c]))
    print("%-14s %6d" % ("total", len(points)))
    print()
    for s in STAGES:
        if s in per_stage:
            print("%-17s %s" % (s, " ".join(
                "%s=%d" % (c, per_stage[s][c]) for c in CLASSES
                if per_stage[s].get(c))))
    print("\ninject: %d points, %d BAD, %.0f s" % (len(points), len(bads),
                                                   elapsed))
    if not (args.keep and bads):
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("inject: BAD points kept under %s" % work, file=sys.stderr)
    return 1 if bads else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
