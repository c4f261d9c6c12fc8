"""The converter's -j N (issue 14): the records of a batch converted on N
threads, each into its own document with its own writer.

  - archives (and the journal) byte-identical for -j 1, -j 2 and -j 4
    (SOURCE_DATE_EPOCH set) on a multi-input corpus in several shapes,
    and the once-per-input messages (replaced characters, nulls) the
    same, in input order;
  - staging never holds more than B documents, temporary ones counted
    (polled while a FIFO input is fed slowly);
  - the converter's peak RSS (VmHWM) does not grow with the input;
  - a failure ends the run as with -j 1: --attr refused on the 2nd input
    and --xsd's other columns (exit 65, the same messages, the same
    archives); a full disk (a 2 MiB tmpfs; skipped where mount fails):
    exit 1 naming ENOSPC, no temporary file left, what is staged complete
    and, with the archives, a prefix of the input.
"""

import os
import re
import subprocess
import threading
import time

import helpers as h
from helpers import E2ECase

EPOCH = "1700000000"
JOBS = (1, 2, 4)
SUMMARY = re.compile(r"^csvpack-packer: \d+ inputs?, .* s, .*MB/s$")
BENCH_GEN = os.path.join(h.REPO, "bench", "gen_csv.py")


_runs = [0]


def fresh(tag):
    """An output dir name not used before in this process."""
    _runs[0] += 1
    return "%s-%d" % (tag, _runs[0])


BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def as_written(rows):
    """Expected rows with what XML cannot carry replaced by U+FFFD."""
    return [(s, ln, [BAD_XML.sub("\ufffd", v) for v in vals])
            for s, ln, vals in rows]


def out_files(outdir):
    """{name: bytes} of what a run left in outdir (journal included)."""
    got = {}
    for n in sorted(os.listdir(outdir)):
        p = os.path.join(outdir, n)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                got[n] = f.read()
    return got


def messages(p):
    """stderr without the summary line (it holds times)."""
    return [ln for ln in p.stderr.decode("utf-8", "replace").splitlines()
            if not SUMMARY.match(ln)]


def gen_csv(path, rows):
    with open(path, "wb") as f:
        subprocess.run(["python3", BENCH_GEN, str(rows)], stdout=f,
                       check=True)
    return path


def children(pid):
    """Pids whose parent is pid."""
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
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Corpus:
    """Four inputs, two headers; control characters (replaced), NULLs,
    quoted values, CR and LF inside values."""

    def __init__(self, tc):
        self.files = []
        extra = ["NULL", "a\x01b", "\x0b", "x\x1fy", '"q"', "NULL"]
        for i, (hdr, n) in enumerate(((["id", "name", "note"], 173),
                                      (["id", "name", "note"], 61),
                                      (["k", "id", "v"], 240),
                                      (["id", "name", "note"], 97))):
            rows = h.random_rows(100 + i, n, len(hdr))
            for k, row in enumerate(rows):
                if k % 7 == i % 3:
                    row[(k // 7) % len(hdr)] = extra[k % len(extra)]
            self.files.append(h.write_csv(tc.path("in%d.csv" % i), hdr,
                                          rows))
        self.names = [os.path.basename(f) for f in self.files]


class Identical(E2ECase):

    SHAPES = [
        [],
        ["--attr", "id", "--null", "NULL"],
        ["--layout", "pretty", "--null", "NULL", "--null-as", "omit"],
        ["--layout", "compact", "--root", "t", "--row", "r",
         "--xmlns", "urn:x", "--xmlns-prefix", "x", "--attr", "3",
         "--null", "NULL", "--null-as", "empty", "--manifest"],
        ["--provenance", "doc", "--null", "NULL", "--null-as", "nil"],
    ]

    def run_j(self, j, args, inputs, out):
        p = self.csvpack("-o", out, "-j", str(j), *args, *inputs,
                         env={"SOURCE_DATE_EPOCH": EPOCH})
        return p

    def test_archives_identical_for_any_j(self):
        """-j 1, 2, 4: the same archive bytes, journal, stdout, messages."""
        c = Corpus(self)
        for shape in self.SHAPES:
            for b, r in ((3, 20), (7, 100), (1, 500)):
                args = ["-b", str(b), "-r", str(r)] + shape
                with self.subTest(args=args):
                    ref = None
                    for j in JOBS:
                        out = fresh("out-j%d" % j)
                        p = self.run_j(j, args, c.names, out)
                        self.assertExit(p, 0)
                        got = (out_files(self.path(out)),
                               p.stdout.decode().replace(out + "/", ""),
                               messages(p))
                        self.assertTrue(got[0], "no archive")
                        if ref is None:
                            ref = got
                            self.assertEqual(any("null field" in m
                                                 for m in got[2]),
                                             "--null" in shape)
                            self.assertTrue(any("U+FFFD" in m
                                                for m in got[2]))
                            continue
                        self.assertEqual(sorted(got[0]), sorted(ref[0]),
                                         "-j %d: other files" % j)
                        for n in ref[0]:
                            self.assertTrue(got[0][n] == ref[0][n],
                                            "-j %d: %s differs from -j 1"
                                            % (j, n))
                        self.assertEqual(got[1], ref[1], "-j %d stdout" % j)
                        self.assertEqual(got[2], ref[2],
                                         "-j %d messages" % j)

    def test_xsd_identical_for_any_j(self):
        """--xsd (schema staged from the first input) for -j 1, 2, 4."""
        c = Corpus(self)
        inputs = [c.names[0], c.names[1], c.names[3]]  # one header
        ref = None
        for j in JOBS:
            out = "out-%d" % j
            p = self.run_j(j, ["-b", "4", "-r", "30", "--xsd"], inputs, out)
            self.assertExit(p, 0)
            got = out_files(self.path(out))
            if ref is None:
                ref = got
            self.assertTrue(got == ref, "-j %d: archives differ" % j)
        for _, docs in h.read_archives(self.path("out-4")):
            self.assertEqual(docs[0].member.name, "schema.xsd")

    def test_default_jobs_same_as_j1(self):
        """No -j (the cores) gives -j 1's archives; documents checked."""
        c = Corpus(self)
        p1 = self.run_j(1, ["-b", "5", "-r", "25"], c.names, "o1")
        self.assertExit(p1, 0)
        p = self.csvpack("-o", "od", "-b", "5", "-r", "25", *c.names,
                         env={"SOURCE_DATE_EPOCH": EPOCH})
        self.assertExit(p, 0)
        self.assertEqual(out_files(self.path("od")),
                         out_files(self.path("o1")))
        docs = self.check_archives(self.path("od"), batch=5, rows=25,
                                   inputs=c.names)
        given = [(n, self.path(n)) for n in c.names]
        self.assertRowsEqual(self.rows_of(docs),
                             as_written(h.expected_rows(given)))


class Bounded(E2ECase):

    def test_staging_never_holds_more_than_b(self):
        """A FIFO fed slowly; staging polled: never more than B documents
        (temporary ones counted), with -j 4."""
        fifo = self.path("slow.csv")
        os.mkfifo(fifo)
        batch, rows, total = 4, 5, 600
        stop = threading.Event()

        def feed():
            with open(fifo, "w") as f:
                f.write("a,b,c\n")
                for i in range(total):
                    f.write("%d,v%d,w%d\n" % (i, i, i * 7))
                    if i % 5 == 0:
                        f.flush()
                        time.sleep(0.004)
                    if stop.is_set():
                        break

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        name = self.name()
        p = h.start([h.LAUNCHER, "--name", name, "-q", "-o", "out", "-b",
                     str(batch), "-r", str(rows), "-j", "4", "slow.csv"],
                    cwd=self.dir, name=name)
        staging = self.path("out", ".csvpack-staging")
        most, seen = 0, 0
        try:
            while p.popen.poll() is None:
                try:
                    ents = os.listdir(staging)
                except OSError:
                    ents = []
                docs = [e for e in ents
                        if e.endswith(".xml") or e.endswith(".xml.tmp")]
                most = max(most, len(docs))
                seen += 1 if docs else 0
                time.sleep(0.001)
        finally:
            stop.set()
        res = p.wait()
        t.join(5)
        self.assertExit(res, 0)
        self.assertLessEqual(most, batch,
                             "staging held %d documents, B is %d"
                             % (most, batch))
        self.assertGreater(seen, 0, "staging never seen with a document")
        docs = self.check_archives(self.path("out"), batch=batch, rows=rows)
        self.assertEqual(sum(len(d.rows) for d in docs), total)

    def peak_rss(self, csv, jobs):
        name = self.name()
        p = h.start([h.LAUNCHER, "--name", name, "-q", "-o",
                     fresh("out"), "-j", str(jobs), "--ring-size", "1M", csv],
                    cwd=self.dir, name=name)
        conv, hwm = None, None
        while p.popen.poll() is None:
            if conv is None:
                for c in children(p.popen.pid):
                    if comm(c).startswith("csvpack-conver"):
                        conv = c
            if conv is not None:
                v = vm_hwm_kib(conv)
                if v is not None:
                    hwm = v
            time.sleep(0.01)
        self.assertExit(p.wait(), 0)
        self.assertIsNotNone(hwm, "the converter was never seen")
        return hwm / 1024.0

    def test_converter_peak_rss_bounded(self):
        """VmHWM of the converter at -j 4, with a 1 MiB ring (the ring's
        pages count in it, and a 16 MiB ring fills only with the input):
        the same for 20k and 200k rows (within 4 MiB), less than 4 MiB
        above -j 1's (N records and N writers), under 32 MiB."""
        with open(h.CONVERTER, "rb") as f:
            if b"__asan_init" in f.read():
                self.skipTest("an ASan build: its shadow memory is RSS")
        small = gen_csv(self.path("small.csv"), 20000)
        big = gen_csv(self.path("big.csv"), 200000)
        rs = self.peak_rss(small, 4)
        rb = self.peak_rss(big, 4)
        r1 = self.peak_rss(big, 1)
        self.assertLess(rb, 32.0, "converter peak RSS %.1f MiB" % rb)
        self.assertLess(rb - rs, 4.0, "converter peak RSS grew with the "
                        "input: %.1f MiB for 20k rows, %.1f for 200k"
                        % (rs, rb))
        self.assertLess(rb - r1, 4.0, "-j 4: %.1f MiB, -j 1: %.1f"
                        % (rb, r1))


class Failures(E2ECase):

    def same_for_any_j(self, args, inputs, status):
        ref = None
        for j in JOBS:
            out = fresh("out-j%d" % j)
            p = self.csvpack("-o", out, "-j", str(j), *args, *inputs,
                             env={"SOURCE_DATE_EPOCH": EPOCH})
            self.assertExit(p, status, "-j %d" % j)
            got = (out_files(self.path(out)),
                   p.stdout.decode().replace(out + "/", ""), messages(p))
            if ref is None:
                ref = got
                continue
            self.assertEqual(sorted(got[0]), sorted(ref[0]), "-j %d" % j)
            for n in ref[0]:
                self.assertTrue(got[0][n] == ref[0][n],
                                "-j %d: %s differs from -j 1" % (j, n))
            self.assertEqual(got[1:], ref[1:], "-j %d" % j)
        return ref + (out,)

    def test_attr_refused_on_second_input(self):
        """--attr name: the 2nd input has no such column: exit 65, the 1st
        input's documents packed, the same for any -j."""
        a = h.write_csv(self.path("a.csv"), ["id", "name"],
                        h.random_rows(1, 230, 2))
        b = h.write_csv(self.path("b.csv"), ["id", "other"],
                        h.random_rows(2, 50, 2))
        c = h.write_csv(self.path("c.csv"), ["id", "name"],
                        h.random_rows(3, 80, 2))
        for b_, r in ((4, 10), (100, 7)):
            with self.subTest(b=b_, r=r):
                _, _, msgs, out = self.same_for_any_j(
                    ["-b", str(b_), "-r", str(r), "--attr", "name"],
                    [os.path.basename(x) for x in (a, b, c)], 65)
                self.assertTrue(any("b.csv: --attr name: no such column"
                                    in m for m in msgs), msgs)
                docs = self.check_archives(self.path(out))
                self.assertEqual({d.source for d in docs}, {"a.csv"})
                self.assertEqual(sum(len(d.rows) for d in docs), 230)

    def test_xsd_other_columns_refused(self):
        """--xsd, the 2nd input with other columns: 65, as with -j 1."""
        a = h.write_csv(self.path("a.csv"), ["x", "y"],
                        h.random_rows(4, 120, 2))
        b = h.write_csv(self.path("b.csv"), ["x", "z"],
                        h.random_rows(5, 30, 2))
        _, _, msgs, _ = self.same_for_any_j(
            ["-b", "3", "-r", "9", "--xsd"],
            [os.path.basename(x) for x in (a, b)], 65)
        self.assertTrue(any("b.csv" in m for m in msgs), msgs)

    def test_full_disk(self):
        """-o on a 2 MiB tmpfs: exit 1 naming ENOSPC for any -j; no
        temporary document left, what is staged complete with its meta,
        and archives plus staging hold a prefix of the documents."""
        big = gen_csv(self.path("big.csv"), 150000)
        for j in JOBS:
            with self.subTest(j=j):
                mnt = self.path("full-%d" % j)
                os.mkdir(mnt)
                m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m",
                                    "tmpfs", mnt], capture_output=True)
                if m.returncode != 0:
                    self.skipTest("cannot mount a tmpfs: %s"
                                  % m.stderr.decode().strip())
                try:
                    self.check_full(j, big, os.path.join(mnt, "out"))
                finally:
                    subprocess.run(["umount", "-l", mnt])

    def check_full(self, j, csv, out):
        p = self.csvpack("-q", "-o", out, "-b", "5", "-r", "300", "-j",
                         str(j), csv)
        self.assertExit(p, 1)
        err = p.stderr.decode("utf-8", "replace")
        self.assertIn("No space left on device", err)
        staging = os.path.join(out, ".csvpack-staging")
        sids = set()
        for a in h.archive_names(out):
            for _, docs in [x for x in h.read_archives(out) if x[0] == a]:
                sids |= {d.sid for d in docs}
        ents = os.listdir(staging) if os.path.isdir(staging) else []
        self.assertEqual([e for e in ents if e.endswith(".tmp")], [],
                         "temporary files left: %r" % ents)
        for e in ents:
            if not re.fullmatch(r"\d{6}\.xml", e):
                continue
            with open(os.path.join(staging, e), "rb") as f:
                data = f.read()
            self.assertTrue(data.endswith(b"</table>\n"),
                            "%s is not complete" % e)
            self.assertIn(e[:-4] + ".meta", ents)
            sids.add(int(e[:-4]))
        if sids:
            self.assertEqual(sorted(sids), list(range(1, max(sids) + 1)),
                             "archived and staged documents are not a "
                             "prefix")
