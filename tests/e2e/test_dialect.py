"""End-to-end tests of the CSV dialect, encodings, element names and values.

Self-contained (Python 3 stdlib only).  Every test runs the real launcher
(bin/csvpack, or $CSVPACK_BIN/csvpack) in its own temporary directory with an
explicit --name e2e-dialect-<pid>-<n>, reads the archives back with tarfile
and xml.etree.ElementTree and compares them with what Python's csv module
reads from the same files.  After every run nothing of that pipeline may be
left in /dev/shm.  Every subprocess has a timeout; on timeout its whole
process group is killed and the test fails.

What SPEC.md says and these tests check:
  - "CSV accepted": LF / CRLF / CR line ends, quoted fields with delimiters,
    doubled quotes, CR and LF inside, a leading UTF-8 BOM skipped, blank
    lines skipped (but counted), a last line without a newline.
  - row/@line is the physical line where the row starts (1-based).
  - table/@source is the input as named.
  - element-name rules, value escaping, U+FFFD replacement + one warning.
  - bad input: FILE:LINE, exit 65, every earlier row converted and packed,
    the output dir holding only the archives.
"""

import csv
import io
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.abspath(os.environ.get("CSVPACK_BIN") or os.path.join(REPO, "bin"))
LAUNCHER = os.path.join(BIN, "csvpack")

RUN_TIMEOUT = 60          # seconds for one launcher run
SHM = "/dev/shm"
ARCHIVE_RE = re.compile(r"^\d{6}\.tgz$")
MEMBER_RE = re.compile(r"^(\d{6})\.xml$")
JOURNAL_RE = re.compile(r"^\.?[\w.-]*journal$")

_names = itertools.count(1)


def new_name():
    return "e2e-dialect-%d-%d" % (os.getpid(), next(_names))


def shm_leftovers(name):
    """Entries of /dev/shm that belong to pipeline `name` (the name as a
    whole token: e2e-dialect-1-1 does not match e2e-dialect-1-10)."""
    pat = re.compile(re.escape(name) + r"(?![0-9A-Za-z_-])")
    try:
        return sorted(e for e in os.listdir(SHM) if pat.search(e))
    except FileNotFoundError:
        return []


class Result:
    def __init__(self, args, rc, out, err, name):
        self.args, self.rc, self.out, self.err, self.name = \
            args, rc, out, err, name
        self.errtext = err.decode("utf-8", "replace")

    def __repr__(self):
        return "rc=%r args=%r\nstderr:\n%s" % (self.rc, self.args,
                                               self.errtext[-3000:])


def run(args, cwd=None, timeout=RUN_TIMEOUT, name=None):
    """Run args in a new session, stdout/stderr into temp files; kill the
    whole process group on timeout (a hang is a failure)."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        p = subprocess.Popen([str(a) for a in args], cwd=cwd,
                             stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                             start_new_session=True)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.wait()
            fe.seek(0)
            err = fe.read().decode("utf-8", "replace")
            if name:
                cleanup_ipc(name)
            raise AssertionError("HANG: %r did not finish within %s s "
                                 "(process group killed); stderr: %s"
                                 % (args, timeout, err[-2000:]))
        # Anything the run left behind in its group is a bug too, but
        # not this file's subject: just make sure it does not linger.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        fo.seek(0)
        fe.seek(0)
        return Result(args, p.returncode, fo.read(), fe.read(), name)


def cleanup_ipc(name):
    try:
        run([LAUNCHER, "--cleanup", name], timeout=20)
    except AssertionError:
        pass


# ------------------------------------------------------------ archives

def parse_doc(data):
    """One XML document -> (source, sid, [(line, [(tag, text)])])."""
    root = ET.fromstring(data)
    assert root.tag == "table", root.tag
    rows = []
    for r in root:
        assert r.tag == "row", r.tag
        fields = [(c.tag, c.text or "") for c in r]
        for c in r:
            assert len(c) == 0, "field element with children"
        rows.append((int(r.get("line")), fields))
    return root.get("source"), int(root.get("sid")), rows


def read_archives(outdir):
    """-> (archive names, other entries of outdir, docs) where docs is a
    list of (archive, member, raw bytes, parsed) in archive/member order."""
    entries = sorted(os.listdir(outdir))
    archives = [e for e in entries if ARCHIVE_RE.match(e)]
    # SPEC guarantee 6 keeps a journal in the output dir: a regular file,
    # allowed; anything else (staging dir, temporary archive) is not.
    others = [e for e in entries if not ARCHIVE_RE.match(e) and not
              (JOURNAL_RE.search(e) and
               os.path.isfile(os.path.join(outdir, e)))]
    docs = []
    for a in archives:
        with tarfile.open(os.path.join(outdir, a), "r:gz") as tf:
            for m in tf.getmembers():
                data = tf.extractfile(m).read() if m.isfile() else None
                docs.append((a, m, data,
                             parse_doc(data) if data is not None else None))
    return archives, others, docs


def read_archives_raw(outdir):
    """Like read_archives, without parsing: (archives, others, [bytes])."""
    entries = sorted(os.listdir(outdir))
    archives = [e for e in entries if ARCHIVE_RE.match(e)]
    docs = []
    for a in archives:
        with tarfile.open(os.path.join(outdir, a), "r:gz") as tf:
            for m in tf.getmembers():
                docs.append(tf.extractfile(m).read())
    return archives, [e for e in entries if e not in archives], docs


def check_structure(tc, outdir, batch=None, rows=None, allow_others=False):
    """Archive numbering, member naming, sid order, B per archive, at most
    R rows per document; returns the parsed documents in order."""
    archives, others, docs = read_archives(outdir)
    if not allow_others:
        tc.assertEqual(others, [], "output dir holds more than archives")
    tc.assertEqual(archives, ["%06d.tgz" % i
                              for i in range(1, len(archives) + 1)])
    per_archive = {}
    sid = 0
    parsed = []
    for a, m, data, doc in docs:
        tc.assertTrue(m.isfile(), "%s: %s not a regular file" % (a, m.name))
        mm = MEMBER_RE.match(m.name)
        tc.assertTrue(mm, "%s: member %r" % (a, m.name))
        sid += 1
        tc.assertEqual(int(mm.group(1)), sid, "%s: members out of order" % a)
        tc.assertEqual(doc[1], sid, "%s/%s: sid attribute" % (a, m.name))
        if rows is not None:
            tc.assertLessEqual(len(doc[2]), rows, "%s/%s" % (a, m.name))
        per_archive[a] = per_archive.get(a, 0) + 1
        parsed.append(doc)
    if batch is not None and archives:
        for a in archives[:-1]:
            tc.assertEqual(per_archive.get(a, 0), batch, a)
        tc.assertTrue(1 <= per_archive.get(archives[-1], 0) <= batch)
    return parsed


def flat_rows(docs):
    """[(source, line, [values])] over all documents in order."""
    out = []
    for source, sid, rows in docs:
        for line, fields in rows:
            out.append((source, line, [v for _, v in fields]))
    return out


def python_rows(path, delimiter=",", encoding="utf-8-sig", skip_header=True):
    """Python's csv reading of a file: [(line, fields)] of the data rows,
    blank lines skipped; line computed from the decoded text."""
    with open(path, encoding=encoding, newline="") as f:
        text = f.read()
    return rows_of_text(text, delimiter, skip_header)


def count_breaks(s):
    return s.count("\n") + s.count("\r") - s.count("\r\n")


def rows_of_text(text, delimiter=",", skip_header=True):
    """Parse with csv.reader, tracking the start offset of every row to
    compute its physical line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # csv.reader pulls one physical line at a time from its iterator; we
    # feed it lines ourselves and note which line each row started on.
    # Not str.splitlines: it splits on more than CR/LF (VT, FF, U+2028).
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)
    state = {"i": 0}

    def feed():
        while state["i"] < len(lines):
            state["i"] += 1
            yield lines[state["i"] - 1]

    it = feed()
    reader = csv.reader(it, delimiter=delimiter, strict=True)
    out = []
    while True:
        start = state["i"] + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        if row == []:
            continue
        out.append((start, row))
    if skip_header and out:
        out = out[1:]
    return out


class Base(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csvpack-e2e-dialect-")
        self.names = []

    def tearDown(self):
        for n in self.names:
            if shm_leftovers(n):
                cleanup_ipc(n)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def write(self, rel, data):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(p, "wb") as f:
            f.write(data)
        return p

    def pack(self, inputs, opts=(), out="out", timeout=RUN_TIMEOUT):
        """The launcher, cwd = the test's temp dir; asserts that nothing of
        the pipeline is left in /dev/shm afterwards."""
        name = new_name()
        self.names.append(name)
        args = [LAUNCHER, "--name", name, "-o", out] + list(opts) + \
            list(inputs)
        res = run(args, cwd=self.tmp, timeout=timeout, name=name)
        left = shm_leftovers(name)
        self.assertEqual(left, [], "IPC objects left in /dev/shm after %r"
                         % res)
        return res

    def assertOk(self, res):
        self.assertEqual(res.rc, 0, repr(res))

    def assertDataError(self, res, fname, line, what=None):
        """exit 65 and a stderr line 'csvpack-producer: FILE:LINE: ...'."""
        self.assertEqual(res.rc, 65, repr(res))
        prefix = "csvpack-producer: %s:%d: " % (fname, line)
        hits = [l for l in res.errtext.splitlines() if l.startswith(prefix)]
        self.assertTrue(hits, "no stderr line starting with %r in %r"
                        % (prefix, res))
        if what:
            self.assertTrue(any(what in h for h in hits),
                            "%r not in %r" % (what, hits))


# ------------------------------------------------------------ 1. property

PIECES_SIMPLE = ["", "x", "abc", "42", "3.14", "-7", "hello world", "N/A",
                 "TRUE"]
PIECES_SPECIAL = [
    "", " ", "   ", "  padded  ", '"', '""', 'say "hi"', '5" screen',
    ",", ";", "\t", "|", "a,b", "a;b", "a\tb", "a|b", ",;\t|",
    "\r", "\n", "\r\n", "a\rb", "a\nb", "a\r\nb", "\n\n", "\r\n\r\n",
    "\r\r", "x\n", "\ny",
    "股票代码", "東京", "한국어", "中文,逗号",
    "😀", "👍🏽", "🇯🇵", "emoji 🎉 mix",
    "café", "Ñandú", "Ångström", "façade", "naïve",
    "<>&'\"", "<tag>", "&amp;", "]]>", "a&b", "'single'",
    "\u00a0", "\u2028", "\u200b",
]
# Header pieces: no character beyond the BMP.  XML 1.0 (5th edition) allows
# U+10000-U+EFFFF in names and csvpack keeps them, but expat (Python's
# ElementTree) rejects them; see NamesTest.test_non_bmp_header_names.
HEADER_PIECES = [p for p in PIECES_SPECIAL
                 if all(ord(c) < 0x10000 for c in p)]
LONG_ALPHABET = ("abcdefghijklmnopqrstuvwxyz0123456789 ,;|\t\"'<>&\n\r"
                 "éñß股票😀€")


def gen_field(rnd):
    r = rnd.random()
    if r < 0.30:
        return rnd.choice(PIECES_SIMPLE)
    if r < 0.985:
        return "".join(rnd.choice(PIECES_SPECIAL)
                       for _ in range(rnd.randint(1, 3)))
    n = rnd.randint(200, 4000)
    return "".join(rnd.choice(LONG_ALPHABET) for _ in range(n))


def gen_header_field(rnd, i):
    r = rnd.random()
    if r < 0.7:
        return "col%d" % i
    if r < 0.8:
        return ""
    return "".join(rnd.choice(HEADER_PIECES) for _ in range(rnd.randint(1, 2)))


def csv_line(fields, delimiter, quoting):
    """One row as csv.writer writes it, without its line terminator.  The
    writer is given '\\r\\n' so that QUOTE_MINIMAL quotes any CR or LF
    (Python 3.11 only quotes the characters of its own lineterminator)."""
    s = io.StringIO()
    csv.writer(s, delimiter=delimiter, quoting=quoting,
               lineterminator="\r\n").writerow(fields)
    v = s.getvalue()
    assert v.endswith("\r\n")
    return v[:-2]


def gen_file(rnd, delimiter):
    """-> (text, rows) where rows = [(line, fields)] of the data rows."""
    ncols = rnd.randint(1, 12)
    nrows = 0 if rnd.random() < 0.1 else rnd.randint(1, 40)
    term = rnd.choice(["\n", "\r\n", "\r"])
    quoting = csv.QUOTE_ALL if rnd.random() < 0.25 else csv.QUOTE_MINIMAL
    bom = rnd.random() < 0.2
    blanks = rnd.random() < 0.3
    final_newline = rnd.random() < 0.75

    header = [gen_header_field(rnd, i) for i in range(ncols)]
    parts = []
    if blanks and rnd.random() < 0.2:
        parts.append(term * rnd.randint(1, 2))     # blank lines first
    parts.append(csv_line(header, delimiter, quoting))
    rows = []
    for _ in range(nrows):
        parts.append(term)
        if blanks and rnd.random() < 0.3:
            parts.append(term * rnd.randint(1, 3))
        fields = [gen_field(rnd) for _ in range(ncols)]
        start = "".join(parts)
        rows.append((count_breaks(start) + 1, fields))
        parts.append(csv_line(fields, delimiter, quoting))
    if final_newline:
        parts.append(term)
        if blanks and rnd.random() < 0.2:
            parts.append(term * rnd.randint(1, 2))  # trailing blank lines
    text = "".join(parts)
    return ("\ufeff" if bom else "") + text, rows


class PropertyTest(Base):
    SEED = 20241125
    NFILES = 2000
    PER_RUN = 100

    def test_random_csv_round_trip(self):
        t0 = time.monotonic()
        rnd = random.Random(self.SEED)
        delims = [",", ";", "\t", "|"]
        groups = {d: [] for d in delims}
        nrows_total = 0
        nbytes = 0
        for i in range(self.NFILES):
            d = rnd.choice(delims) if rnd.random() < 0.5 else ","
            text, rows = gen_file(rnd, d)
            rel = "in/%s/f%04d.csv" % ({",": "comma", ";": "semi",
                                         "\t": "tab", "|": "pipe"}[d], i)
            p = self.write(rel, text)
            nbytes += os.path.getsize(p)
            # The generator's own rows must be what Python's csv reads:
            # otherwise the test, not csvpack, is wrong.
            py = python_rows(p, d)
            self.assertEqual(py, rows, "generator/csv mismatch in %s" % rel)
            nrows_total += len(rows)
            groups[d].append((rel, p, py))

        runs = 0
        for d in delims:
            files = groups[d]
            for k in range(0, len(files), self.PER_RUN):
                chunk = files[k:k + self.PER_RUN]
                runs += 1
                b = rnd.choice([1, 2, 3, 5, 10, 100, rnd.randint(1, 30)])
                r = rnd.choice([1, 2, 3, 7, 40, 1000, rnd.randint(1, 50)])
                dopt = {"\t": rnd.choice(["\\t", "tab", "\t"])}.get(d, d)
                # Half the runs name inputs relative to the cwd, half by
                # absolute path: source must be the name as passed.
                absolute = runs % 2 == 0
                names = [p if absolute else rel for rel, p, _ in chunk]
                out = "out%d" % runs
                opts = ["-b", str(b), "-r", str(r), "-q"]
                if d != ",":
                    opts += ["-d", dopt]
                elif rnd.random() < 0.3:
                    opts += ["-d", ","]
                with self.subTest(run=runs, delimiter=d, b=b, r=r):
                    res = self.pack(names, opts, out=out)
                    self.assertOk(res)
                    docs = check_structure(self, self.path(out), b, r)
                    got = flat_rows(docs)
                    want = [(n, line, fields)
                            for n, (_, _, rows) in zip(names, chunk)
                            for line, fields in rows]
                    if got != want:
                        self.fail(first_difference(got, want, opts))
                    # A document never mixes two inputs, by construction
                    # of the comparison above (source is per document).
                    shutil.rmtree(self.path(out))
        elapsed = time.monotonic() - t0
        sys.stderr.write("\n[property] %d files, %d data rows, %.1f MB, "
                         "%d launcher runs, %.1f s\n"
                         % (self.NFILES, nrows_total, nbytes / 1e6, runs,
                            elapsed))


def first_difference(got, want, opts):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return ("row %d differs (options %r):\n got  %r\n want %r"
                    % (i, opts, _short(g), _short(w)))
    return ("row count differs (options %r): got %d, want %d; first extra "
            "or missing: %r" % (opts, len(got), len(want),
                                _short((got + want)[min(len(got),
                                                        len(want))])))


def _short(row):
    src, line, fields = row
    return (src, line, [f if len(f) < 80 else f[:60] + "...(%d)" % len(f)
                        for f in fields])


# ------------------------------------------------------------ 2. encodings

class EncodingTest(Base):

    def roundtrip(self, fname, text, encoding_opt, data=None, opts=()):
        """Write text (encoded, or raw bytes `data`), pack with --encoding,
        compare with Python's csv reading of the decoded text."""
        if data is None:
            data = text.encode(encoding_opt)
        self.write(fname, data)
        res = self.pack([fname], ["--encoding", encoding_opt, "-r", "50",
                                  "-b", "3"] + list(opts))
        self.assertOk(res)
        docs = check_structure(self, self.path("out"), 3, 50)
        got = flat_rows(docs)
        want = [(fname, line, f) for line, f in rows_of_text(text)]
        self.assertGreater(len(want), 0)
        if got != want:
            self.fail(first_difference(got, want, encoding_opt))

    def test_gb18030(self):
        text = ("代码,名称,价格\r\n"
                "600000,浦发银行 𠀀,€12.50\r\n"
                "000001,\"平安\r\n银行 𠀁𠀂\",€7\r\n"
                "300750,宁德时代 😀 ß é,\"1,000\"\r\n")
        raw = text.encode("gb18030")
        self.assertIn("𠀀".encode("gb18030"), raw)
        self.assertEqual(len("𠀀".encode("gb18030")), 4)
        self.roundtrip("gb.csv", text, "GB18030", raw)

    def test_gbk(self):
        text = "代码,名称\n600000,浦发银行\n000002,万科Ａ\n601318,中国平安 股份\n"
        self.roundtrip("gbk.csv", text, "GBK")

    def test_cp1252(self):
        text = ("name,quote,mark\r\n"
                "euro,€ 5,‰\r\n"
                "quotes,“curly” — dash,‘single’\r\n"
                "latin,naïve café,ÿ\r\n")
        raw = text.encode("cp1252")
        self.assertIn(b"\x93", raw)
        self.roundtrip("w.csv", text, "CP1252", raw)

    def test_iso8859_1(self):
        text = "name,city\nJosé,España\nGroß,Straße\nñ é ß,ü ö ä ÿ\n"
        self.roundtrip("l1.csv", text, "ISO-8859-1")

    def test_utf16_bom_le_and_be(self):
        text = ("id,name,note\n1,股票代码,😀 emoji\n"
                "2,\"multi\nline 𠀀\",€\n3,café,<&>\n")
        for enc, codec in (("le", "utf-16-le"), ("be", "utf-16-be")):
            with self.subTest(order=enc):
                raw = "\ufeff".encode(codec) + text.encode(codec)
                fname = "u16%s.csv" % enc
                self.write(fname, raw)
                res = self.pack([fname], ["--encoding", "UTF-16"],
                                out="out-" + enc)
                self.assertOk(res)
                docs = check_structure(self, self.path("out-" + enc))
                got = flat_rows(docs)
                want = [(fname, l, f) for l, f in rows_of_text(text)]
                self.assertEqual(got, want)

    def test_large_multibyte_straddles_chunks(self):
        # > 300 KB, rows of varying byte length so that 2- and 4-byte
        # sequences fall across every read-buffer boundary somewhere.
        rnd = random.Random(7)
        alphabet = ["𠀀", "€", "汉", "字", "a", "é", "😀", "\u3000"]
        lines = ["k,v,w"]
        i = 0
        while True:
            v = "".join(rnd.choice(alphabet)
                        for _ in range(rnd.randint(0, 60)))
            w = "".join(rnd.choice(alphabet) for _ in range(i % 13))
            if i % 17 == 0:
                v = '"' + v + '\n' + w + '"'
            lines.append("%d,%s,%s" % (i, v, w))
            i += 1
            if i % 500 == 0 and len("\n".join(lines).encode("gb18030")) \
                    > 360000:
                break
        text = "\n".join(lines) + "\n"
        for enc, codec in (("GB18030", "gb18030"), ("UTF-16", "utf-16")):
            with self.subTest(encoding=enc):
                raw = text.encode(codec)   # utf-16: BOM + native order
                self.assertGreater(len(raw), 300 * 1024)
                fname = "big-%s.csv" % codec
                self.write(fname, raw)
                out = "out-" + codec
                res = self.pack([fname], ["--encoding", enc, "-r", "333",
                                          "-b", "4"], out=out)
                self.assertOk(res)
                docs = check_structure(self, self.path(out), 4, 333)
                got = flat_rows(docs)
                want = [(fname, l, f) for l, f in rows_of_text(text)]
                self.assertEqual(len(got), len(want))
                if got != want:
                    self.fail(first_difference(got, want, enc))

    def test_unknown_encoding_is_usage_error(self):
        self.write("a.csv", "a,b\n1,2\n")
        res = self.pack(["a.csv"], ["--encoding", "NOPE"], out="never")
        self.assertEqual(res.rc, 2, repr(res))
        self.assertFalse(os.path.exists(self.path("never")),
                         "output dir created by a usage error")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["a.csv"])

    def test_cp1252_without_encoding_is_invalid_utf8(self):
        text = ("name,quote\r\nA,plain\r\nB,\"two\r\nlines\"\r\n"
                "C,“curly”\r\nD,after\r\n")
        self.write("w.csv", text.encode("cp1252"))
        res = self.pack(["w.csv"], ["-r", "1", "-b", "1"])
        self.assertDataError(res, "w.csv", 5,
                             "not valid UTF-8 (byte 0x93 at column 3)")
        docs = check_structure(self, self.path("out"), 1, 1)
        self.assertEqual(flat_rows(docs),
                         [("w.csv", 2, ["A", "plain"]),
                          ("w.csv", 3, ["B", "two\r\nlines"])])


# ------------------------------------------------------------ 3. names

class NamesTest(Base):

    def tags(self, out="out"):
        docs = check_structure(self, self.path(out))
        return [[t for t, _ in fields] for _, _, rows in docs
                for _, fields in rows], docs

    def test_header_names(self):
        # SPEC: a character that may not stand in an XML name (or ':')
        # becomes '_'; a name that cannot start an XML name gets a
        # leading '_'; an empty header is fieldN (1-based column); a
        # repeated name gets _2, _3, ... (counted on the cleaned name:
        # 'a b', 'a:b' and 'a_b' all clean to a_b); non-ASCII letters stay.
        self.write("h.csv", "ticker,price,a b,a:b,1st,,a_b,ticker,股票代码,VIP?\n"
                            "1,2,3,4,5,6,7,8,9,10\n")
        res = self.pack(["h.csv"])
        self.assertOk(res)
        tags, docs = self.tags()
        self.assertEqual(tags, [["ticker", "price", "a_b", "a_b_2", "_1st",
                                 "field6", "a_b_3", "ticker_2", "股票代码",
                                 "VIP_"]])
        self.assertEqual(flat_rows(docs),
                         [("h.csv", 2, [str(i) for i in range(1, 11)])])

    def test_non_bmp_header_names(self):
        # XML 1.0 5th edition: U+10000-U+EFFFF may start and stand in a
        # name, so SPEC's rule keeps them; an implementation that replaces
        # them with '_' (for older parsers, e.g. expat) is accepted too.
        # The document must pass xmllint --noout either way.
        heads = ["👍🏽", "a😀b", "🇯🇵", "x"]
        self.write("e.csv", ",".join(heads) + "\n1,2,3,4\n")
        res = self.pack(["e.csv"])
        self.assertOk(res)
        archives, others, docs = read_archives_raw(self.path("out"))
        self.assertEqual(len(docs), 1)
        raw = docs[0].decode("utf-8")
        m = re.search(r'<row line="2">(.*)</row>', raw)
        self.assertTrue(m, raw)
        got = re.findall(r"<([^/>][^>]*)>([^<]*)</\1>", m.group(1))
        self.assertEqual([v for _, v in got], ["1", "2", "3", "4"])
        for (name, _), h in zip(got, heads):
            bmp = "".join(c if ord(c) < 0x10000 else "_" for c in h)
            self.assertIn(name, (h, bmp), "element name for header %r" % h)
        xmllint = shutil.which("xmllint")
        if xmllint:
            p = self.write("doc.xml", docs[0])
            r = run([xmllint, "--noout", p], timeout=30)
            self.assertEqual(r.rc, 0, repr(r))

    def test_no_header(self):
        self.write("n.csv", "a,b,c\n1,2,3\n")
        res = self.pack(["n.csv"], ["--no-header"])
        self.assertOk(res)
        tags, docs = self.tags()
        self.assertEqual(tags, [["field1", "field2", "field3"]] * 2)
        self.assertEqual(flat_rows(docs), [("n.csv", 1, ["a", "b", "c"]),
                                           ("n.csv", 2, ["1", "2", "3"])])

    def test_ragged(self):
        self.write("r.csv", "h1,h2,h3\n1,2,3\n4\n5,6\n7,8,9,10,11\n\n12,,\n")
        res = self.pack(["r.csv"], ["--ragged"])
        self.assertOk(res)
        tags, docs = self.tags()
        self.assertEqual(tags, [["h1", "h2", "h3"], ["h1", "h2", "h3"],
                                ["h1", "h2", "h3"],
                                ["h1", "h2", "h3", "field4", "field5"],
                                ["h1", "h2", "h3"]])
        self.assertEqual(flat_rows(docs),
                         [("r.csv", 2, ["1", "2", "3"]),
                          ("r.csv", 3, ["4", "", ""]),
                          ("r.csv", 4, ["5", "6", ""]),
                          ("r.csv", 5, ["7", "8", "9", "10", "11"]),
                          ("r.csv", 7, ["12", "", ""])])

    def test_short_and_long_row_without_ragged(self):
        for label, body, line, first in (
                ("short", "h1,h2,h3\n1,2,3\n4,5\n6,7,8\n", 3, ["1", "2", "3"]),
                ("long", "h1,h2\n1,2\n\n3,4,5\n", 4, ["1", "2"])):
            with self.subTest(label):
                fname = "%s.csv" % label
                out = "out-" + label
                self.write(fname, body)
                res = self.pack([fname], out=out)
                self.assertDataError(res, fname, line)
                docs = check_structure(self, self.path(out))
                self.assertEqual(flat_rows(docs), [(fname, 2, first)])


# ------------------------------------------------------------ 4. values

class ValuesTest(Base):

    def test_unrepresentable_characters(self):
        bad1 = "a\x00b\x01c"                        # 2 replaced
        bad2 = "\x0b\x0c\x1f\x08\x0e\ufffe\uffff"    # 7 replaced
        ok = "tab\there"
        text = ("id,val,other\n"
                "1,plain,x\n"
                '2,"%s",y\n' % bad1 +
                "3,%s,z\n" % ok +
                '4,"%s",w\n' % bad2)
        self.write("c.csv", text)
        self.write("d.csv", "h\n\n\nok\n\x1fx\n")    # 1 replaced, line 5
        res = self.pack(["c.csv", "d.csv"], ["-r", "1", "-b", "2"])
        self.assertOk(res)
        docs = check_structure(self, self.path("out"), 2, 1)
        F = "\ufffd"
        self.assertEqual(flat_rows(docs), [
            ("c.csv", 2, ["1", "plain", "x"]),
            ("c.csv", 3, ["2", "a%sb%sc" % (F, F), "y"]),
            ("c.csv", 4, ["3", ok, "z"]),
            ("c.csv", 5, ["4", F * 7, "w"]),
            ("d.csv", 4, ["ok"]),
            ("d.csv", 5, [F + "x"]),
        ])
        warn = [l for l in res.errtext.splitlines() if "U+FFFD" in l]
        c_lines = [l for l in warn if "c.csv:" in l]
        d_lines = [l for l in warn if "d.csv:" in l]
        self.assertEqual(len(c_lines), 1, repr(res))
        self.assertEqual(len(d_lines), 1, repr(res))
        self.assertEqual(len(warn), 2, repr(res))
        self.assertIn("c.csv:3:", c_lines[0])
        self.assertRegex(c_lines[0], r"\b9\b")
        self.assertIn("d.csv:5:", d_lines[0])
        self.assertRegex(d_lines[0], r"\b1\b")

    def test_cr_and_markup_round_trip(self):
        vals = ["a\rb", "\r", "x\r\ny", "<tag attr=\"v\">&amp;</tag>",
                "]]>", "& < >", "  lead and trail  "]
        s = io.StringIO()
        w = csv.writer(s, lineterminator="\r\n")
        w.writerow(["v%d" % i for i in range(len(vals))])
        w.writerow(vals)
        self.write("v.csv", s.getvalue())
        res = self.pack(["v.csv"])
        self.assertOk(res)
        archives, others, docs = read_archives(self.path("out"))
        self.assertEqual(len(docs), 1)
        raw = docs[0][2]
        self.assertIn(b"&#13;", raw)
        self.assertIn(b"&lt;tag", raw)
        self.assertIn(b"&amp;amp;", raw)
        self.assertEqual(flat_rows([docs[0][3]]), [("v.csv", 2, vals)])


# ------------------------------------------------------------ 5. bad input

class BadInputTest(Base):

    CASES = [
        # label, files [(name, bytes)], opts, bad file, bad line, keyword,
        # expected archived rows [(file, line, fields)]
        ("unterminated",
         [("u.csv", b'h1,h2\na,"multi\nline"\nb,c\nd,"unterminated\nmore\n')],
         [], "u.csv", 5, None,
         [("u.csv", 2, ["a", "multi\nline"]), ("u.csv", 4, ["b", "c"])]),
        ("text-after-quote",
         [("q.csv", b'h1,h2\n1,2\n"a"b,3\n4,5\n')],
         [], "q.csv", 3, None,
         [("q.csv", 2, ["1", "2"])]),
        ("field-count",
         [("f.csv", b"h1,h2,h3\n1,2,3\n\n4,5,6\n\n\n7,8\n9,9,9\n")],
         [], "f.csv", 7, None,
         [("f.csv", 2, ["1", "2", "3"]), ("f.csv", 4, ["4", "5", "6"])]),
        ("invalid-utf8",
         [("i.csv", b"h1,h2\r\nok,1\r\n\xc3\xa9,2\r\nx\xffy,3\r\nz,4\r\n")],
         [], "i.csv", 4, "not valid UTF-8 (byte 0xff at column 2)",
         [("i.csv", 2, ["ok", "1"]), ("i.csv", 3, ["é", "2"])]),
        ("second-file",
         [("first.csv", b"a,b\n1,2\n3,4\n5,6\n"),
          ("second.csv", b"a,b\n7,8\n\"9\n")],
         ["-r", "2", "-b", "1"], "second.csv", 3, None,
         [("first.csv", 2, ["1", "2"]), ("first.csv", 3, ["3", "4"]),
          ("first.csv", 4, ["5", "6"]), ("second.csv", 2, ["7", "8"])]),
        ("chunk-boundary",
         [("c.csv", b"h1,h2\n1,1\n2,2\n3,3\n4,4\n5,5,5\n6,6\n")],
         ["-r", "2", "-b", "1"], "c.csv", 6, None,
         [("c.csv", 2, ["1", "1"]), ("c.csv", 3, ["2", "2"]),
          ("c.csv", 4, ["3", "3"]), ("c.csv", 5, ["4", "4"])]),
        ("chunk-boundary-b3",
         [("c.csv", b"h1,h2\n1,1\n2,2\n3,3\n4,4\n\"5,5\n")],
         ["-r", "2", "-b", "3"], "c.csv", 6, None,
         [("c.csv", 2, ["1", "1"]), ("c.csv", 3, ["2", "2"]),
          ("c.csv", 4, ["3", "3"]), ("c.csv", 5, ["4", "4"])]),
    ]

    def test_bad_input_table(self):
        for label, files, opts, bad, line, what, want in self.CASES:
            with self.subTest(label):
                d = label
                names = []
                for fname, data in files:
                    self.write(os.path.join(d, fname), data)
                    names.append(os.path.join(d, fname))
                out = "out-" + label
                res = self.pack(names, opts, out=out)
                self.assertDataError(res, os.path.join(d, bad), line, what)
                # Only archives in the output dir: no staging dir, no
                # temporary archive.
                docs = check_structure(self, self.path(out))
                want_p = [(os.path.join(d, f), l, v) for f, l, v in want]
                self.assertEqual(flat_rows(docs), want_p, repr(res))


# ------------------------------------------------------------ 6. delimiters

class DelimiterTest(Base):

    def test_delimiters(self):
        for label, opt, delim in (("tab-escape", "\\t", "\t"),
                                  ("tab-word", "tab", "\t"),
                                  ("tab-literal", "\t", "\t"),
                                  ("semicolon", ";", ";"),
                                  ("pipe", "|", "|")):
            with self.subTest(label):
                rows = [["name", "value", "note"],
                        ["a,b", "1,5", "plain"],
                        ["with%sdelim" % delim, 'q"uote', "x\ny"],
                        ["", " ", "last"]]
                s = io.StringIO()
                csv.writer(s, delimiter=delim,
                           lineterminator="\n").writerow(rows[0])
                for r in rows[1:]:
                    csv.writer(s, delimiter=delim,
                               lineterminator="\n").writerow(r)
                fname = "%s.csv" % label
                self.write(fname, s.getvalue())
                out = "out-" + label
                res = self.pack([fname], ["-d", opt], out=out)
                self.assertOk(res)
                docs = check_structure(self, self.path(out))
                self.assertEqual(flat_rows(docs),
                                 [(fname, 2, rows[1]), (fname, 3, rows[2]),
                                  (fname, 5, rows[3])])
                want = [(fname, l, f) for l, f in
                        python_rows(self.path(fname), delim)]
                self.assertEqual(flat_rows(docs), want)

    def test_bad_delimiters(self):
        self.write("a.csv", "a,b\n1,2\n")
        for opt in ('"', "ab", "\n", ""):
            with self.subTest(delimiter=opt):
                res = self.pack(["a.csv"], ["-d", opt], out="never")
                self.assertEqual(res.rc, 2, repr(res))
                self.assertFalse(os.path.exists(self.path("never")))


if __name__ == "__main__":
    unittest.main()
