"""Shared helpers for the csvpack end-to-end tests (Python 3 stdlib only).

Every subprocess goes through run() / start(): each has a timeout (default
120 s) and runs in its own process group, which is killed on timeout so a
hang is a test failure, never a hung suite.

The binaries come from $CSVPACK_BIN (absolute path of bin/); by default the
repository's bin/ next to tests/.
"""

import csv
import os
import random
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.abspath(os.environ.get("CSVPACK_BIN") or os.path.join(REPO, "bin"))
LAUNCHER = os.path.join(BIN, "csvpack")
PRODUCER = os.path.join(BIN, "csvpack-producer")
CONVERTER = os.path.join(BIN, "csvpack-converter")
PACKER = os.path.join(BIN, "csvpack-packer")

DEFAULT_TIMEOUT = 120
SHM = "/dev/shm"

ARCHIVE_RE = re.compile(r"^(\d{6})\.tgz$")
MEMBER_RE = re.compile(r"^(\d{6})\.xml$")


class Hang(AssertionError):
    """A process outlived its timeout (counted as a test failure)."""


# ---------------------------------------------------------------- processes

def group_members(pgid):
    """Live (not zombie) processes in process group pgid."""
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
        # fields[0] = state, fields[2] = pgrp
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8",
                                                               "replace")
            except OSError:
                cmd = "?"
            out.append((int(d), cmd.strip()))
    return out


class Proc:
    """A started process in its own process group, with a deadline.

    stdout and stderr go to temporary files, not pipes, so the end of the
    process is its exit, whatever it left running with copies of them.
    Whatever is still running in its process group when it has exited is
    recorded in .leftover (after a grace of LEFTOVER_GRACE s) and killed."""

    LEFTOVER_GRACE = 0.5

    def __init__(self, args, input=None, cwd=None, env=None,
                 timeout=DEFAULT_TIMEOUT, name=None):
        self.args = [str(a) for a in args]
        self.timeout = timeout
        self.name = name
        full_env = dict(os.environ)
        if env:
            for k, v in env.items():
                if v is None:
                    full_env.pop(k, None)
                else:
                    full_env[k] = str(v)
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        if isinstance(input, str):
            input = input.encode("utf-8")
        self.popen = subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=self.out, stderr=self.err,
            cwd=cwd, env=full_env, start_new_session=True)
        self.started = time.monotonic()
        self.feeder = None
        if input is not None:
            self.feeder = threading.Thread(target=self._feed, args=(input,),
                                           daemon=True)
            self.feeder.start()

    def _feed(self, data):
        try:
            self.popen.stdin.write(data)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                self.popen.stdin.close()
            except OSError:
                pass

    def kill_group(self):
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def peek(self):
        """What it has written to stdout so far (it may still run)."""
        return os.pread(self.out.fileno(), 1 << 24, 0)

    def _read(self, f):
        f.seek(0)
        data = f.read()
        f.close()
        return data

    def wait(self):
        """Wait for the end; return a CompletedProcess (bytes stdout/err)
        with an extra attribute leftover: [(pid, cmdline)] of processes
        still in the group LEFTOVER_GRACE s after the exit."""
        left = max(0.1, self.timeout - (time.monotonic() - self.started))
        try:
            self.popen.wait(timeout=left)
        except subprocess.TimeoutExpired:
            members = group_members(self.popen.pid)
            self.kill_group()
            self.popen.wait()
            if self.name:
                cleanup_ipc(self.name)
            err = self._read(self.err)
            self._read(self.out)
            raise Hang("HANG: %r did not finish within %s s (process group "
                       "killed: %r); stderr: %r"
                       % (self.args, self.timeout, members, err[-2000:]))
        leftover = []
        deadline = time.monotonic() + self.LEFTOVER_GRACE
        while True:
            leftover = group_members(self.popen.pid)
            if not leftover or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if leftover:
            self.kill_group()
        if self.feeder:
            self.feeder.join(5)
        p = subprocess.CompletedProcess(self.args, self.popen.returncode,
                                        self._read(self.out),
                                        self._read(self.err))
        p.leftover = leftover
        return p


# Processes a test started and may not have waited for (it failed first):
# tearDown kills what is left, so a failed test leaves no stage behind.
STARTED = []


def start(args, **kw):
    p = Proc(args, **kw)
    STARTED.append(p)
    return p


def run(args, input=None, cwd=None, env=None, timeout=DEFAULT_TIMEOUT,
        name=None):
    """Run args; return CompletedProcess with bytes stdout/stderr."""
    return Proc(args, input=input, cwd=cwd, env=env, timeout=timeout,
                name=name).wait()


def csvpack(*args, **kw):
    return run([LAUNCHER] + list(args), **kw)


def converter(*args, **kw):
    return run([CONVERTER] + list(args), **kw)


def packer(*args, **kw):
    return run([PACKER] + list(args), **kw)


def producer(*args, **kw):
    return run([PRODUCER] + list(args), **kw)


def cleanup_ipc(name):
    try:
        run([LAUNCHER, "--cleanup", name], timeout=20)
    except Hang:
        pass


# ---------------------------------------------------------------- /dev/shm

def shm_entries(substring):
    """Entries of /dev/shm whose name contains substring."""
    try:
        return sorted(e for e in os.listdir(SHM) if substring in e)
    except FileNotFoundError:
        return []


_name_counter = [0]


def pipeline_name(tag="p"):
    _name_counter[0] += 1
    return "e2e-%d-%s%d" % (os.getpid(), tag, _name_counter[0])


# ---------------------------------------------------------------- CSV data

PIECES = ["a", "b", "Zz", " ", ",", '"', '""', "\n", "\r\n", "\r", "股票",
          "代码", "数据", "😀", "🎉", "👍🏽", "<", "&", ">", "'", "]]>",
          "xyzzy", "123", "-4.5", "\t", ";", "é", "ß"]


def random_value(rnd):
    k = rnd.random()
    if k < 0.12:
        return ""
    if k < 0.45:
        return str(rnd.randint(-10 ** 6, 10 ** 6))
    return "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 8)))


def random_rows(seed, nrows, ncols, simple=False):
    """Deterministic rows: simple ones are plain ASCII (cheap, no quoting)."""
    rnd = random.Random(seed)
    if simple:
        return [["r%d" % i] + ["v%d_%d" % (i, rnd.randint(0, 99999))
                               for _ in range(ncols - 1)]
                for i in range(nrows)]
    rows = []
    for _ in range(nrows):
        row = [random_value(rnd) for _ in range(ncols)]
        if all(v == "" for v in row):
            row[0] = "x"   # csv.writer would write a blank-looking line
        rows.append(row)
    return rows


def csv_field(value, delimiter=","):
    """One field, quoted when it holds the delimiter, a quote, CR or LF.

    (Python's csv.writer does not quote a lone CR unless the line
    terminator holds one, so it can write files that no reader splits as
    it meant; this writer always can be read back.)"""
    if any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(path, header, rows, lineterminator="\n", delimiter=","):
    """Write header (or None) and rows as RFC 4180 CSV; return path."""
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        for row in ([header] if header is not None else []) + list(rows):
            line = delimiter.join(csv_field(v, delimiter) for v in row)
            if line == "":
                line = '""'     # a single empty field, not a blank line
            f.write(line + lineterminator)
    return path


def write_bytes(path, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_csv_rows(path, header=True, delimiter=","):
    """What Python's csv module reads: list of (start line, values).

    The start line is the physical line where the row starts (blank lines
    are skipped but count).  The header row is excluded when header=True."""
    out = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f, delimiter=delimiter, strict=True)
        first = header
        while True:
            start = r.line_num + 1
            try:
                row = next(r)
            except StopIteration:
                break
            if row == []:
                continue   # a blank line
            if first:
                first = False
                continue
            out.append((start, row))
    return out


def expected_rows(inputs, header=True, delimiter=","):
    """[(source, line, values)] for inputs = [(name as given, real path)]."""
    out = []
    for name, path in inputs:
        for line, vals in read_csv_rows(path, header, delimiter):
            out.append((name, line, vals))
    return out


# ---------------------------------------------------------------- archives

class Doc:
    """One XML document read from an archive (or from stdout)."""

    def __init__(self, data, member=None, archive=None):
        self.data = data
        self.member = member           # tarfile.TarInfo or None
        self.archive = archive         # archive file name or None
        self.root = ET.fromstring(data)
        self.source = self.root.get("source")
        sid = self.root.get("sid")
        self.sid = int(sid) if sid is not None else None
        self.rows = []        # (line, [values], [tags])
        for row in self.root:
            line = row.get("line")
            self.rows.append((int(line) if line is not None else None,
                              [c.text or "" for c in row],
                              [c.tag for c in row]))

    def row_tuples(self):
        return [(self.source, self.sid, line, vals)
                for line, vals, _ in self.rows]


JOURNAL = ".csvpack-journal"


def archive_names(outdir):
    return sorted(f for f in os.listdir(outdir) if f.endswith(".tgz"))


def read_archives(outdir):
    """[(archive name, [Doc...])] in archive-name order, members in tar order,
    read with tarfile."""
    out = []
    for name in archive_names(outdir):
        docs = []
        with tarfile.open(os.path.join(outdir, name), "r:gz") as tf:
            for m in tf.getmembers():
                data = tf.extractfile(m).read() if m.isreg() else b""
                docs.append(Doc(data, m, name))
        out.append((name, docs))
    return out


def gnu_tar_list(path):
    """`tar -tzvf` rows: (mode string, owner string, size, name)."""
    p = run(["tar", "-tzvf", path], timeout=60)
    if p.returncode != 0:
        raise AssertionError("tar -tzvf %s failed (%d): %r"
                             % (path, p.returncode, p.stderr))
    rows = []
    for line in p.stdout.decode("utf-8").splitlines():
        parts = line.split()
        # -rw-r--r-- 0/0   222 2026-11-25 13:33 000001.xml
        rows.append((parts[0], parts[1], int(parts[2]), parts[-1]))
    return rows


def gnu_tar_extract(path):
    """`tar -xzf` into a temp dir; {name: bytes}."""
    d = tempfile.mkdtemp(prefix="e2e-untar-")
    try:
        p = run(["tar", "-xzf", os.path.abspath(path), "-C", d], timeout=60)
        if p.returncode != 0:
            raise AssertionError("tar -xzf %s failed (%d): %r"
                                 % (path, p.returncode, p.stderr))
        out = {}
        for root, dirs, files in os.walk(d):
            for f in files:
                full = os.path.join(root, f)
                with open(full, "rb") as fh:
                    out[os.path.relpath(full, d)] = fh.read()
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def gzip_test(paths):
    """`gzip -t` on every path (one call)."""
    if not paths:
        return
    p = run(["gzip", "-t"] + list(paths), timeout=120)
    if p.returncode != 0:
        raise AssertionError("gzip -t failed (%d): %r"
                             % (p.returncode, p.stderr))


def xmllint_docs(datas):
    """`xmllint --noout` on every document (written to a temp dir, one call
    for all of them)."""
    if not datas:
        return
    d = tempfile.mkdtemp(prefix="e2e-xmllint-")
    try:
        files = []
        for i, data in enumerate(datas):
            f = os.path.join(d, "%06d.xml" % i)
            with open(f, "wb") as fh:
                fh.write(data)
            files.append(f)
        p = run(["xmllint", "--noout"] + files, timeout=120)
        if p.returncode != 0 or p.stderr.strip():
            raise AssertionError("xmllint --noout failed (%d): %r"
                                 % (p.returncode, p.stderr[:3000]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def unescape_name(token):
    """A name as the journal and the metas write it (%XX escapes) back to
    the name."""
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)),
                  token)


def journal_groups(outdir):
    """The complete groups of outdir's journal, in order: [(archive,
    [(sid, first row, last row, first line, last line, input)])].  Lines
    ending in CR LF (a crash's) void their group, as the packer reads it."""
    groups, cur = [], None
    with open(os.path.join(outdir, JOURNAL), "rb") as f:
        data = f.read()
    for raw in data.split(b"\n")[:-1]:
        line = raw.decode("utf-8", "surrogateescape")
        if line.endswith("\r"):
            cur = None
        elif line.startswith("B "):
            cur = (line[2:], [])
        elif line.startswith("D ") and cur is not None:
            f = line[2:].split(" ")
            if len(f) == 4:       # an older journal: no lines
                f = f[:3] + ["0", "0"] + f[3:]
            cur[1].append(tuple(int(x) for x in f[:5])
                          + (unescape_name(f[5]),))
        elif line == "E" and cur is not None:
            groups.append(cur)
            cur = None
    return groups


SUMMARY_RE = re.compile(
    r"(?m)^csvpack: verified (\d+) archives?, (\d+) documents?, (\d+) rows? "
    r"of (\d+) inputs?(?:, compared with (\d+) given)?: "
    r"(?:(OK)|(\d+) problems?)$")


def verify(*args, cwd=None, timeout=DEFAULT_TIMEOUT):
    """`csvpack verify ARGS...`."""
    return run([LAUNCHER, "verify"] + list(args), cwd=cwd, timeout=timeout)


def verify_summary(p):
    """verify's summary line from its stderr: (archives, documents, rows,
    inputs, problems) with problems 0 for OK; None without one.  (Given
    inputs, it also says how many it compared with: verify_compared.)"""
    m = SUMMARY_RE.search(p.stderr.decode("utf-8", "replace"))
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)),
            int(m.group(4)), 0 if m.group(6) else int(m.group(7)))


def verify_compared(p):
    """How many inputs verify's summary says it compared (0 if none)."""
    m = SUMMARY_RE.search(p.stderr.decode("utf-8", "replace"))
    return int(m.group(5) or 0) if m else None


def gzip_header_problems(path):
    """Problems with the gzip header of path (empty list: fine)."""
    with open(path, "rb") as f:
        head = f.read(10)
    probs = []
    if head[:3] != b"\x1f\x8b\x08":
        probs.append("not a deflate gzip stream: %r" % head[:3])
    if head[3] & 0x08:
        probs.append("FLG has FNAME set (0x%02x)" % head[3])
    if head[4:8] != b"\0\0\0\0":
        probs.append("MTIME is %r, not 0" % head[4:8])
    return probs


# ---------------------------------------------------------------- base class

class E2ECase(unittest.TestCase):
    """Each test gets its own temp dir (self.dir, also the cwd of runs) and
    a check that nothing new containing "csvpack" is left in /dev/shm."""

    maxDiff = 4000

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="e2e-")
        self.shm_before = set(shm_entries("csvpack"))
        self.names = []

    def tearDown(self):
        while STARTED:
            p = STARTED.pop()
            if p.popen.poll() is None:
                p.kill_group()
                p.popen.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        new = self._new_shm()
        # Remove our own leftovers so they do not spill into later tests,
        # then report them.
        for n in self.names:
            if shm_entries(n):
                cleanup_ipc(n)
        self.assertEqual(new, [], "IPC objects left in /dev/shm after the "
                         "test: %r" % new)

    def _new_shm(self):
        # Entries of pipelines that are ending may need a moment to go.
        # E2E_OWN_SHM=1 (several developers' suites on one machine) looks
        # only at this runner's named pipelines; CI and `make check` look
        # at every csvpack object.
        deadline = time.monotonic() + 3
        mine = "e2e-%d-" % os.getpid() if os.environ.get("E2E_OWN_SHM") \
            else "csvpack"
        while True:
            new = sorted(set(shm_entries(mine)) - self.shm_before)
            if not new or time.monotonic() > deadline:
                return new
            time.sleep(0.1)

    # -- helpers

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def wait_for(self, cond, timeout, step=0.05):
        """Polls cond until it is true or timeout s have passed; returns
        its last value (the caller asserts, or goes on regardless)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(step)
        return cond()

    def wait_stage(self, name, stage, timeout=10):
        """Waits until pipeline name's status shows stage registered and
        past "starting" (attached, options agreed, signals handled).
        Seeing its objects in /dev/shm is not enough: they appear before
        the header is written."""
        shown = re.compile(r"\n  %s +pid [1-9]\d* +(?!starting)\S" % stage)
        self.assertTrue(self.wait_for(
            lambda: shown.search(csvpack("status", name, timeout=10)
                                 .stdout.decode()), timeout),
            "%s of pipeline %s not registered within %s s"
            % (stage, name, timeout))

    def name(self, tag="p"):
        n = pipeline_name(tag)
        self.names.append(n)
        return n

    def csvpack(self, *args, name=None, **kw):
        """Run the launcher in self.dir with --name (a fresh one unless
        given) and check nothing of that pipeline stays in /dev/shm."""
        kw.setdefault("cwd", self.dir)
        if name is None:
            name = self.name()
        p = csvpack("--name", name, *args, name=name, **kw)
        self.assertNoShm(name)
        if p.returncode == 0:
            self.assertNoLeftover(p)
        return p

    def assertNoLeftover(self, p):
        self.assertEqual(p.leftover, [], "processes of %r still running "
                         "after it exited" % " ".join(p.args)[:200])

    def assertNoShm(self, name):
        left = shm_entries(name)
        self.assertEqual(left, [], "pipeline %s left IPC objects in "
                         "/dev/shm: %r" % (name, left))

    def assertExit(self, p, code, what=""):
        self.assertEqual(p.returncode, code,
                         "%s: exit %d, expected %d; stderr: %s"
                         % (what or " ".join(p.args[1:])[:200], p.returncode,
                            code, p.stderr.decode("utf-8", "replace")[-3000:]))

    def check_archives(self, outdir, batch=None, rows=None, tar_check=True,
                       inputs=None, dialect=()):
        """Read outdir's archives and check the formats and guarantee 2.

        Returns the list of Docs in order.  With tar_check every archive is
        also listed and extracted with GNU tar, and all pass gzip -t and all
        documents xmllint --noout.  When outdir has a journal (a pipeline
        made it), `csvpack verify outdir` must find it all good; given
        inputs (named as the run named them, relative to self.dir) and the
        run's dialect options, `csvpack verify [DIALECT] outdir INPUT...`
        must too."""
        names = archive_names(outdir)
        for i, n in enumerate(names, 1):
            self.assertEqual(n, "%06d.tgz" % i,
                             "archives not named 000001.tgz.. consecutively:"
                             " %r" % names)
        archives = read_archives(outdir)
        docs = []
        expect_sid = 1
        for ai, (aname, adocs) in enumerate(archives):
            path = os.path.join(outdir, aname)
            self.assertGreater(len(adocs), 0, "%s is empty" % aname)
            if batch is not None:
                if ai < len(archives) - 1:
                    self.assertEqual(len(adocs), batch,
                                     "%s holds %d documents, not B=%d (only "
                                     "the last may hold fewer)"
                                     % (aname, len(adocs), batch))
                else:
                    self.assertLessEqual(len(adocs), batch,
                                         "last archive %s holds %d > B=%d"
                                         % (aname, len(adocs), batch))
            for d in adocs:
                m = d.member
                self.assertTrue(m.isreg(), "%s:%s not a regular file"
                                % (aname, m.name))
                self.assertEqual(m.name, "%06d.xml" % expect_sid,
                                 "%s: member %r, expected %06d.xml (sid "
                                 "order, consecutive from 1)"
                                 % (aname, m.name, expect_sid))
                self.assertEqual(d.sid, expect_sid,
                                 "%s:%s has sid %r" % (aname, m.name, d.sid))
                self.assertEqual(m.mode, 0o644, "%s:%s mode %o"
                                 % (aname, m.name, m.mode))
                self.assertEqual((m.uid, m.gid), (0, 0),
                                 "%s:%s uid/gid" % (aname, m.name))
                self.assertEqual((m.uname, m.gname), ("", ""),
                                 "%s:%s owner names" % (aname, m.name))
                self.assertEqual(m.size, len(d.data))
                self.assertEqual(d.root.tag, "table")
                if rows is not None:
                    self.assertLessEqual(len(d.rows), rows,
                                         "%s:%s holds %d rows > R=%d"
                                         % (aname, m.name, len(d.rows), rows))
                self.assertGreater(len(d.rows), 0,
                                   "%s:%s holds no row" % (aname, m.name))
                for row in d.root:
                    self.assertEqual(row.tag, "row")
                expect_sid += 1
                docs.append(d)
            if tar_check:
                listing = gnu_tar_list(path)
                self.assertEqual([r[3] for r in listing],
                                 [d.member.name for d in adocs],
                                 "GNU tar lists other members in " + aname)
                for mode, owner, size, mname in listing:
                    self.assertEqual(mode, "-rw-r--r--", aname + ":" + mname)
                    self.assertEqual(owner, "0/0", aname + ":" + mname)
                extracted = gnu_tar_extract(path)
                self.assertEqual(extracted,
                                 {d.member.name: d.data for d in adocs},
                                 "GNU tar extracts other bytes from " + aname)
        if tar_check:
            gzip_test([os.path.join(outdir, n) for n in names])
            xmllint_docs([d.data for d in docs])
        if os.path.exists(os.path.join(outdir, JOURNAL)):
            nrows = sum(len(d.rows) for d in docs)
            self.check_verify(outdir, len(names), len(docs), nrows)
            if inputs is not None:
                self.check_verify(outdir, len(names), len(docs), nrows,
                                  inputs=inputs, dialect=dialect)
        elif inputs is not None:
            self.fail("check_archives(inputs=...) on %s, which has no "
                      "journal to verify" % outdir)
        return docs

    def check_verify(self, outdir, narchives, ndocs, nrows, inputs=(),
                     dialect=()):
        """`csvpack verify [DIALECT] outdir [INPUT...]` (in self.dir):
        exit 0, nothing on stdout, and a summary "OK" counting what is
        there."""
        args = list(dialect) + [outdir] + list(inputs)
        p = verify(*args, cwd=self.dir)
        what = "csvpack verify " + " ".join(args)
        self.assertEqual((p.returncode, p.stdout), (0, b""),
                         "%s: exit %d, expected 0 and no problem; stdout:\n"
                         "%s\nstderr: %s" % (
                             what[:300], p.returncode,
                             p.stdout.decode("utf-8", "replace")[:3000],
                             p.stderr.decode("utf-8", "replace")[-2000:]))
        got = verify_summary(p)
        self.assertIsNotNone(got, "%s: no summary line on stderr: %r"
                             % (what[:300], p.stderr[-2000:]))
        self.assertEqual(got[:3] + got[4:], (narchives, ndocs, nrows, 0),
                         "%s: the summary counts other archives, documents "
                         "or rows: %r" % (what[:300], p.stderr[-2000:]))
        self.assertEqual(verify_compared(p), len(inputs),
                         "%s: the summary counts other inputs compared: %r"
                         % (what[:300], p.stderr[-2000:]))

    def rows_of(self, docs):
        """[(source, line, values)] of docs in order."""
        return [(d.source, line, vals) for d in docs
                for line, vals, _ in d.rows]

    def assertRowsEqual(self, got, want, what="rows"):
        """Field-by-field comparison with a useful first difference."""
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                self.fail("%s: first difference at row %d (0-based):\n got  "
                          "%r\n want %r" % (what, i, g, w))
        self.assertEqual(len(got), len(want),
                         "%s: %d rows, expected %d" % (what, len(got),
                                                       len(want)))

    def assertOnlyArchives(self, outdir, preexisting=()):
        """Archives, the journal (guarantee 6: it must be there once an
        archive is), and what was there before; nothing else."""
        entries = sorted(os.listdir(outdir))
        extra = [e for e in entries if e not in preexisting
                 and e != JOURNAL and not ARCHIVE_RE.match(e)]
        self.assertEqual(extra, [], "output dir holds more than the archives"
                         " and what was there before: %r" % entries)
        if any(ARCHIVE_RE.match(e) for e in entries):
            self.assertIn(JOURNAL, entries, "archives but no journal")
