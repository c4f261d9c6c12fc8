"""End-to-end tests of the csvpack pipeline against SPEC.md."""

import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import time

import helpers as h
from helpers import E2ECase

UID = os.getuid()


def maps(pid, path):
    """Whether process pid has path mapped (/proc/PID/maps)."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return any(line.rstrip("\n").endswith(" " + path) for line in f)
    except OSError:
        return False


def lines(p):
    return p.stdout.decode("utf-8").splitlines()


class RoundTrip(E2ECase):

    def test_multi_file_round_trip(self):
        """3 inputs, named three ways; rows field by field vs csv module."""
        os.makedirs(self.path("in"))
        a = h.write_csv(self.path("a.csv"), ["id", "name", "note"],
                        h.random_rows(1, 137, 3))
        b = h.write_csv(self.path("in", "b.csv"), ["x", "y"],
                        h.random_rows(2, 61, 2), lineterminator="\r\n")
        c = h.write_csv(self.path("in", "c.csv"), ["k", "v1", "v2", "v3"],
                        h.random_rows(3, 250, 4))
        given = [("a.csv", a), ("in/b.csv", b), (c, c)]   # c absolute
        p = self.csvpack("-q", "-o", "out", "-b", "4", "-r", "25",
                         *[g for g, _ in given])
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), batch=4, rows=25,
                                   inputs=[g for g, _ in given])
        self.assertRowsEqual(self.rows_of(docs), h.expected_rows(given))
        # a document never mixes inputs: its rows are one input's, and its
        # source is that input as given.
        want = h.expected_rows(given)
        i = 0
        for d in docs:
            srcs = {want[i + k][0] for k in range(len(d.rows))}
            self.assertEqual(srcs, {d.source},
                             "document %d mixes inputs %r" % (d.sid, srcs))
            i += len(d.rows)
        self.assertEqual({d.source for d in docs},
                         {"a.csv", "in/b.csv", c})
        # Per input: 137/25 -> 6 docs, 61/25 -> 3, 250/25 -> 10 at least.
        self.assertGreaterEqual(len(docs), 19)
        # Each document's rows: element names from its own input's header.
        for d in docs:
            hdr = {"a.csv": ["id", "name", "note"], "in/b.csv": ["x", "y"],
                   c: ["k", "v1", "v2", "v3"]}[d.source]
            for _, _, tags in d.rows:
                self.assertEqual(tags, hdr)

    def test_batching_combinations(self):
        """Guarantee 2 exactly for several -b/-r, ~2,500 rows in 3 inputs."""
        files = [h.write_csv(self.path("f%d.csv" % i), ["a", "b", "c"],
                             h.random_rows(10 + i, n, 3, simple=True))
                 for i, n in enumerate((1200, 3, 1297))]
        given = [(os.path.basename(f), f) for f in files]
        want = h.expected_rows(given)
        self.assertEqual(len(want), 2500)
        combos = [(3, 7, given), (100, 1000, given), (2, 500, given),
                  (7, 1, given[1:2]), (4, 2500, given)]
        for b, r, inputs in combos:
            with self.subTest(b=b, r=r):
                out = "out-%d-%d" % (b, r)
                p = self.csvpack("-q", "-o", out, "-b", str(b), "-r", str(r),
                                 *[g for g, _ in inputs])
                self.assertExit(p, 0)
                docs = self.check_archives(self.path(out), batch=b, rows=r,
                                           inputs=[g for g, _ in inputs])
                self.assertRowsEqual(self.rows_of(docs),
                                     h.expected_rows(inputs))
                # Each input is cut into chunks of at most R rows, so there
                # are at least ceil(n/R) documents per input.
                need = sum(-(-len(h.read_csv_rows(f)) // r)
                           for _, f in inputs)
                self.assertGreaterEqual(len(docs), need)
                n_arch = len(h.archive_names(self.path(out)))
                self.assertEqual(n_arch, -(-len(docs) // b))

    def test_batch_1_rows_1(self):
        """-b 1 -r 1: one row per document, one document per archive."""
        f = h.write_csv(self.path("one.csv"), ["a", "b"],
                        h.random_rows(5, 40, 2))
        p = self.csvpack("-q", "-o", "out", "-b", "1", "-r", "1", "one.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), batch=1, rows=1,
                                   inputs=["one.csv"])
        self.assertEqual(len(docs), 40)
        self.assertEqual(len(h.archive_names(self.path("out"))), 40)
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("one.csv", f)]))

    def test_output_dir_only_archives_and_preexisting(self):
        out = self.path("out")
        os.makedirs(os.path.join(out, "keep-dir"))
        h.write_bytes(os.path.join(out, "keep.txt"), b"precious\n")
        h.write_bytes(os.path.join(out, ".hidden"), b"also mine\n")
        h.write_csv(self.path("in.csv"), ["a", "b"],
                    h.random_rows(7, 333, 2))
        p = self.csvpack("-q", "-o", "out", "-b", "3", "-r", "20", "in.csv")
        self.assertExit(p, 0)
        self.assertFalse(os.path.exists(os.path.join(out, ".csvpack-staging")),
                         "staging dir left after a successful run")
        self.assertOnlyArchives(out, ("keep-dir", "keep.txt", ".hidden"))
        self.assertEqual(len(h.archive_names(out)), 6)   # 17 docs / 3
        with open(os.path.join(out, "keep.txt"), "rb") as f:
            self.assertEqual(f.read(), b"precious\n")
        with open(os.path.join(out, ".hidden"), "rb") as f:
            self.assertEqual(f.read(), b"also mine\n")
        self.assertEqual(os.listdir(os.path.join(out, "keep-dir")), [])

    def test_output_dir_created_and_clean(self):
        h.write_csv(self.path("in.csv"), ["a"], [["1"], ["2"]])
        p = self.csvpack("-q", "-o", "deep/er/out", "in.csv")
        self.assertExit(p, 0)
        self.assertEqual(sorted(os.listdir(self.path("deep/er/out"))),
                         [h.JOURNAL, "000001.tgz"])

    def test_stdout_lists_archives_in_order(self):
        h.write_csv(self.path("in.csv"), ["a", "b"],
                    h.random_rows(8, 100, 2, simple=True))
        for out in ("rel-out", self.path("abs-out")):
            with self.subTest(out=out):
                p = self.csvpack("-o", out, "-b", "2", "-r", "10", "in.csv")
                self.assertExit(p, 0)
                got = lines(p)
                outdir = os.path.join(self.dir, out)
                names = h.archive_names(outdir)
                self.assertEqual(len(names), 5)
                self.assertEqual(len(got), len(names),
                                 "stdout: %r" % p.stdout)
                self.assertTrue(p.stdout.endswith(b"\n"))
                for line, name in zip(got, names):
                    full = os.path.join(self.dir, line)
                    self.assertTrue(os.path.isfile(full),
                                    "stdout line %r is not a file" % line)
                    self.assertTrue(os.path.samefile(
                        full, os.path.join(outdir, name)),
                        "stdout lines %r out of order" % got)
                # the summary goes to stderr, not stdout
                self.assertIn(b"archives", p.stderr)

    def test_quiet_suppresses_summary(self):
        h.write_csv(self.path("in.csv"), ["a"], [["1"]])
        p = self.csvpack("-q", "-o", "out", "in.csv")
        self.assertExit(p, 0)
        self.assertEqual(p.stderr, b"")
        self.assertEqual(lines(p), ["out/000001.tgz"])
        p = self.csvpack("-o", "out2", "in.csv")
        self.assertExit(p, 0)
        summary = p.stderr.decode().strip().splitlines()
        self.assertEqual(len(summary), 1, p.stderr)
        self.assertRegex(summary[0], r"\b1 inputs?\b.*\b1 rows?\b.*"
                         r"\b1 documents?\b.*\b1 archives?\b")


class Stdin(E2ECase):
    DATA = "sym,qty\nAAA,1\nBBB,\"2,5\"\n\nCCC,3\n"
    WANT = [("-", 2, ["AAA", "1"]), ("-", 3, ["BBB", "2,5"]),
            ("-", 5, ["CCC", "3"])]

    def _check(self, args):
        p = self.csvpack("-q", "-o", "out", *args, input=self.DATA)
        self.assertExit(p, 0)
        names = h.archive_names(self.path("out"))
        self.assertEqual(names, ["000001.tgz"],
                         "PRODUCT BUG: `printf ... | csvpack -o out %s` read "
                         "no rows from stdin and exited 0 (the launcher "
                         "starts the producer with `&` in a non-interactive "
                         "shell, which gives it /dev/null as stdin); "
                         "stderr: %r" % (" ".join(args), p.stderr))
        docs = self.check_archives(self.path("out"))
        self.assertEqual(self.rows_of(docs), self.WANT)
        self.assertEqual([d.source for d in docs], ["-"])

    def test_stdin_no_input(self):
        self._check([])

    def test_stdin_dash(self):
        self._check(["-"])

    def test_stdin_dash_between_files(self):
        h.write_csv(self.path("f.csv"), ["sym", "qty"], [["F", "9"]])
        p = self.csvpack("-q", "-o", "out", "-r", "1", "f.csv", "-",
                         "f.csv", input=self.DATA)
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), rows=1)
        want = ([("f.csv", 2, ["F", "9"])] + self.WANT
                + [("f.csv", 2, ["F", "9"])])
        self.assertEqual(self.rows_of(docs), want,
                         "PRODUCT BUG if the '-' rows are missing: the "
                         "launcher does not hand its stdin to the producer "
                         "(it gets /dev/null)")

    def test_stdin_hand_started_producer(self):
        """The producer itself reads stdin (stages started by hand)."""
        name = self.name("hand")
        out = self.path("out")
        pk = h.start([h.PACKER, "--name", name, "-o", out, "-q"], name=name)
        cv = h.start([h.CONVERTER, "--name", name, "-o", out, "-q"],
                     name=name)
        pr = h.start([h.PRODUCER, "--name", name, "-o", out, "-q"],
                     input=self.DATA.encode(), name=name)
        for proc in (pr, cv, pk):
            self.assertExit(proc.wait(), 0)
        self.assertNoShm(name)
        docs = self.check_archives(out)
        self.assertEqual(self.rows_of(docs), self.WANT)


class LineNumbers(E2ECase):

    def test_line_attribute_physical_start_line(self):
        crlf = (b"id,text\r\n"                       # 1
                b"1,plain\r\n"                       # 2
                b"2,\"multi\r\nline\r\nvalue\"\r\n"  # 3-5
                b"\r\n"                              # 6 blank
                b"\r\n"                              # 7 blank
                b"3,\"a\nb\"\r\n"                    # 8-9 (LF inside)
                b"4,last\r\n")                       # 10
        lf = (b"\n"                                  # 1 blank before header
              b"h1,h2\n"                             # 2
              b"\n"                                  # 3
              b"x,\"\n\n\"\n"                        # 4-6
              b"y,\"q\"\"uote\"\n"                   # 7
              b"\n\n\n"                              # 8-10
              b"z,end")                              # 11, no newline
        cr = (b"c1,c2\r"                             # 1 (CR line ends)
              b"r1,\"x\ry\"\r"                       # 2-3
              b"\r"                                  # 4 blank
              b"r2,2\r")                             # 5
        h.write_bytes(self.path("crlf.csv"), crlf)
        h.write_bytes(self.path("lf.csv"), lf)
        h.write_bytes(self.path("cr.csv"), cr)
        want = [
            ("crlf.csv", 2, ["1", "plain"]),
            ("crlf.csv", 3, ["2", "multi\r\nline\r\nvalue"]),
            ("crlf.csv", 8, ["3", "a\nb"]),
            ("crlf.csv", 10, ["4", "last"]),
            ("lf.csv", 4, ["x", "\n\n"]),
            ("lf.csv", 7, ["y", "q\"uote"]),
            ("lf.csv", 11, ["z", "end"]),
            ("cr.csv", 2, ["r1", "x\ry"]),
            ("cr.csv", 5, ["r2", "2"]),
        ]
        # the Python csv module agrees with the hand-written expectation
        self.assertEqual(h.expected_rows([(n, self.path(n)) for n in
                                          ("crlf.csv", "lf.csv", "cr.csv")]),
                         want)
        for r in ("2", "1000"):
            with self.subTest(rows=r):
                out = "out" + r
                p = self.csvpack("-q", "-o", out, "-b", "2", "-r", r,
                                 "crlf.csv", "lf.csv", "cr.csv")
                self.assertExit(p, 0)
                docs = self.check_archives(self.path(out), batch=2,
                                           rows=int(r), inputs=[
                                               "crlf.csv", "lf.csv",
                                               "cr.csv"])
                self.assertRowsEqual(self.rows_of(docs), want)
                self.assertEqual([d.rows[0][2] for d in docs
                                  if d.source == "lf.csv"][0], ["h1", "h2"])

    def test_bom_and_literal_quote(self):
        data = ("\ufeffsize,desc\n"
                "5,5\" screen\n"
                "6,a\"b\"c\n").encode("utf-8")
        h.write_bytes(self.path("bom.csv"), data)
        p = self.csvpack("-q", "-o", "out", "bom.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), inputs=["bom.csv"])
        self.assertEqual(docs[0].rows[0][2], ["size", "desc"],
                         "the BOM must not become part of the first name")
        self.assertEqual(self.rows_of(docs),
                         [("bom.csv", 2, ["5", "5\" screen"]),
                          ("bom.csv", 3, ["6", "a\"b\"c"])])


class EmptyInputs(E2ECase):

    def test_empty_and_header_only_make_no_archive(self):
        cases = {"empty.csv": b"", "header.csv": b"a,b,c\n",
                 "header-nonl.csv": b"a,b,c",
                 "blank.csv": b"\n\n\r\n"}
        for fname, data in cases.items():
            with self.subTest(input=fname):
                h.write_bytes(self.path(fname), data)
                out = "out-" + fname
                p = self.csvpack("-o", out, fname)
                self.assertExit(p, 0)
                self.assertEqual(p.stdout, b"")
                od = self.path(out)
                if os.path.isdir(od):
                    self.assertEqual(os.listdir(od), [],
                                     "no archive, no staging expected")

    def test_empty_stdin_makes_no_archive(self):
        p = self.csvpack("-o", "out", input=b"")
        self.assertExit(p, 0)
        self.assertEqual(p.stdout, b"")
        if os.path.isdir(self.path("out")):
            self.assertEqual(os.listdir(self.path("out")), [])

    def test_empty_input_among_others(self):
        h.write_bytes(self.path("e.csv"), b"a,b\n")
        h.write_bytes(self.path("f.csv"), b"a,b\n1,2\n")
        p = self.csvpack("-q", "-o", "out", "-b", "1", "e.csv", "f.csv",
                         "e.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), batch=1)
        self.assertEqual(self.rows_of(docs), [("f.csv", 2, ["1", "2"])])


class XmlContent(E2ECase):

    VALUES = ["<tag>", "a & b", "\"quoted\"", "it's", "\r", "cr\rinside",
              "crlf\r\ninside", "lf\ninside", "]]>", "&amp;", "&#13;",
              "  spaced  ", "tab\there", "股票", "😀🎉", "", "<![CDATA[x]]>",
              "<?pi?>", "<!-- c -->", "'\"<>&\r\n"]

    def test_xml_escapes_round_trip(self):
        rows = [[str(i), v, v[::-1]] for i, v in enumerate(self.VALUES)]
        f = h.write_csv(self.path("esc.csv"), ["n", "v", "rev"], rows)
        p = self.csvpack("-q", "-o", "out", "-r", "7", "esc.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), rows=7,
                                   inputs=["esc.csv"])
        got = [vals for _, _, vals in self.rows_of(docs)]
        self.assertEqual(got, rows)
        self.assertEqual(self.rows_of(docs),
                         h.expected_rows([("esc.csv", f)]))
        for d in docs:
            self.assertNotIn(b"\r", d.data,
                             "a raw CR in doc %d does not survive parsing"
                             % d.sid)
        self.assertTrue(any(b"&#13;" in d.data for d in docs),
                        "\\r must be written as &#13;")

    def test_element_names_from_header(self):
        h.write_bytes(self.path("p.csv"), b"ticker,price\nACME,12.50\n")
        p = self.csvpack("-q", "-o", "out", "p.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"))
        self.assertEqual(len(docs), 1)
        d = docs[0]
        self.assertEqual((d.source, d.sid), ("p.csv", 1))
        row = list(d.root)[0]
        self.assertEqual(row.attrib, {"line": "2"})
        self.assertEqual([(c.tag, c.text) for c in row],
                         [("ticker", "ACME"), ("price", "12.50")])
        self.assertEqual(d.root.attrib, {"source": "p.csv", "sid": "1"})
        self.assertTrue(d.data.startswith(
            b'<?xml version="1.0" encoding="UTF-8"?>'), d.data[:60])

    def test_element_name_rules(self):
        h.write_bytes(self.path("n.csv"),
                      "a b,1x,,dup,dup,股票代码,x:y,dup\n"
                      "1,2,3,4,5,6,7,8\n".encode("utf-8"))
        p = self.csvpack("-q", "-o", "out", "n.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), inputs=["n.csv"])
        _, vals, tags = docs[0].rows[0]
        self.assertEqual(tags, ["a_b", "_1x", "field3", "dup", "dup_2",
                                "股票代码", "x_y", "dup_3"])
        self.assertEqual(vals, [str(i) for i in range(1, 9)])

    def test_no_header_and_tab_delimiter(self):
        h.write_bytes(self.path("t.tsv"), b"a\tb,c\n\"x\ty\"\tz\n")
        p = self.csvpack("-q", "-o", "out", "--no-header", "-d", "\\t",
                         "t.tsv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), inputs=["t.tsv"],
                                   dialect=["--no-header", "-d", "\\t"])
        self.assertEqual([(l, v, t) for l, v, t in docs[0].rows],
                         [(1, ["a", "b,c"], ["field1", "field2"]),
                          (2, ["x\ty", "z"], ["field1", "field2"])])

    def test_control_characters_replaced(self):
        h.write_bytes(self.path("c.csv"),
                      b"a,b\nok,x\x01y\x1fz\n\x0bv,\xef\xbf\xbf\n")
        p = self.csvpack("-q", "-o", "out", "c.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), inputs=["c.csv"])
        self.assertEqual(self.rows_of(docs),
                         [("c.csv", 2, ["ok", "x\ufffdy\ufffdz"]),
                          ("c.csv", 3, ["\ufffdv", "\ufffd"])])
        self.assertRegex(p.stderr.decode(), r"c\.csv:2: \D*\b4 char",
                         "expected a warning counting the 4 replaced "
                         "characters")


class BadInput(E2ECase):

    def _bad_run(self, fname, data, bad_line, good_rows, extra=()):
        h.write_bytes(self.path(fname), data)
        p = self.csvpack("-o", "out", "-b", "2", "-r", "5", *extra, fname)
        self.assertExit(p, 65)
        err = p.stderr.decode("utf-8", "replace")
        self.assertRegex(err, r"(?m)^csvpack-producer: %s:%d: \S"
                         % (re.escape(fname), bad_line),
                         "no 'csvpack-producer: FILE:LINE: ...' line")
        out = self.path("out")
        docs = self.check_archives(out, batch=2, rows=5) \
            if os.path.isdir(out) else []
        self.assertRowsEqual(self.rows_of(docs), good_rows,
                             "rows before the bad one")
        # each row before the bad one was packed: no document left behind
        if os.path.isdir(out):
            for root, _, files in os.walk(out):
                self.assertEqual([f for f in files if f.endswith(".xml")],
                                 [], "XML documents left in " + root)
        # stdout lists exactly the archives made
        self.assertEqual(len(lines(p)), len(h.archive_names(out))
                         if os.path.isdir(out) else 0)
        return p

    def _good(self, n):
        rows = [["r%d" % i, "v,%d" % i] for i in range(n)]
        data = "\n".join(['k,v'] + ['%s,"%s"' % tuple(r) for r in rows])
        return data.encode() + b"\n", [("bad.csv", i + 2, r)
                                       for i, r in enumerate(rows)]

    def test_unterminated_quote(self):
        data, good = self._good(23)    # rows on lines 2..24
        data += b"99,\"never closed\nmore\nand more\n"
        self._bad_run("bad.csv", data, 25, good)

    def test_field_count_mismatch(self):
        for n, bad in ((13, b"x,y,z\n"), (7, b"only-one\n"), (0, b"a,b,c\n")):
            with self.subTest(before=n, bad=bad):
                data, good = self._good(n)
                shutil.rmtree(self.path("out"), ignore_errors=True)
                self._bad_run("bad.csv", data + bad + b"r,s\n", n + 2, good)

    def test_other_data_errors(self):
        for what, bad in (("text after closing quote", b"\"a\"b,c\n"),
                          ("invalid UTF-8", b"ok,\xff\xfe\n")):
            with self.subTest(what=what):
                data, good = self._good(11)
                shutil.rmtree(self.path("out"), ignore_errors=True)
                self._bad_run("bad.csv", data + bad, 13, good)

    def test_bad_second_input_keeps_first(self):
        h.write_csv(self.path("good.csv"), ["k", "v"],
                    [["a", "1"], ["b", "2"], ["c", "3"]])
        data, good = self._good(4)
        want = [("good.csv", 2, ["a", "1"]), ("good.csv", 3, ["b", "2"]),
                ("good.csv", 4, ["c", "3"])] + good
        h.write_bytes(self.path("bad.csv"), data + b"1,2,3\n")
        p = self.csvpack("-o", "out", "-b", "1", "-r", "2", "good.csv",
                         "bad.csv", "good.csv")
        self.assertExit(p, 65)
        self.assertRegex(p.stderr.decode(), r"(?m)^csvpack-producer: "
                         r"bad\.csv:6: \S")
        docs = self.check_archives(self.path("out"), batch=1, rows=2)
        self.assertRowsEqual(self.rows_of(docs), want)


class Usage(E2ECase):

    def test_bad_options_exit_2(self):
        h.write_csv(self.path("in.csv"), ["a"], [["1"]])
        for args in (["-b", "0"], ["-l", "12"], ["--bogus"], ["-r", "0"],
                     ["-b", "many"], ["-l", "-1"], ["-d", "ab"],
                     ["--ring-size", "lots"], ["-o"]):
            with self.subTest(args=args):
                out = self.path("out")
                if args == ["-o"]:
                    a = ["in.csv", "-o"]     # an option missing its value
                else:
                    a = ["-o", out] + args + ["in.csv"]
                p = self.csvpack(*a)
                self.assertExit(p, 2)
                self.assertEqual(p.stdout, b"")
                self.assertRegex(p.stderr.decode(), r"^csvpack[-a-z]*: ")
                self.assertFalse(os.path.isdir(out) and h.archive_names(out),
                                 "a usage error made archives")

    def test_missing_input_is_not_success(self):
        p = self.csvpack("-o", "out", "no-such.csv")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"no-such.csv", p.stderr)

    def test_help_and_version(self):
        p = h.csvpack("--help", cwd=self.dir, timeout=30)
        self.assertExit(p, 0)
        self.assertIn(b"usage: csvpack", p.stdout)
        p = h.csvpack("--version", cwd=self.dir, timeout=30)
        self.assertExit(p, 0)
        self.assertRegex(p.stdout.decode(), r"^csvpack \d+\.\d+")


class Reproducible(E2ECase):

    def test_source_date_epoch_byte_identical(self):
        h.write_csv(self.path("in.csv"), ["a", "b", "c"],
                    h.random_rows(21, 300, 3))
        env = {"SOURCE_DATE_EPOCH": "1700000000"}
        for out in ("out1", "out2"):
            p = self.csvpack("-q", "-o", out, "-b", "2", "-r", "40",
                             "in.csv", env=env)
            self.assertExit(p, 0)
            time.sleep(1.05)   # a clock second passes between the runs
        n1 = h.archive_names(self.path("out1"))
        self.assertEqual(n1, h.archive_names(self.path("out2")))
        self.assertEqual(len(n1), 4)
        for n in n1:
            with open(self.path("out1", n), "rb") as f1, \
                    open(self.path("out2", n), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(),
                                 "%s differs between two runs" % n)
        for out in ("out1", "out2"):
            for _, docs in h.read_archives(self.path(out)):
                for d in docs:
                    self.assertEqual(d.member.mtime, 1700000000)
        tl = h.run(["tar", "--full-time", "--utc", "-tzvf",
                    self.path("out1", "000001.tgz")])
        self.assertIn(b"2023-11-14 22:13:20", tl.stdout)

    def test_mtime_is_run_start_without_epoch(self):
        h.write_csv(self.path("in.csv"), ["a"], [["1"], ["2"]])
        t0 = int(time.time())
        p = self.csvpack("-q", "-o", "out", "-r", "1", "in.csv",
                         env={"SOURCE_DATE_EPOCH": None})
        t1 = time.time()
        self.assertExit(p, 0)
        for _, docs in h.read_archives(self.path("out")):
            for d in docs:
                self.assertGreaterEqual(d.member.mtime, t0 - 1)
                self.assertLessEqual(d.member.mtime, t1 + 1)

    def test_gzip_header(self):
        h.write_csv(self.path("in.csv"), ["a", "b"],
                    h.random_rows(22, 120, 2))
        for level in ("0", "1", "6", "9"):
            with self.subTest(level=level):
                out = "out" + level
                p = self.csvpack("-q", "-o", out, "-l", level, "-b", "2",
                                 "-r", "20", "in.csv")
                self.assertExit(p, 0)
                names = h.archive_names(self.path(out))
                self.assertEqual(len(names), 3)
                for n in names:
                    self.assertEqual(
                        h.gzip_header_problems(self.path(out, n)), [], n)
                docs = self.check_archives(self.path(out), batch=2, rows=20,
                                           inputs=["in.csv"])
                self.assertEqual(len(self.rows_of(docs)), 120)


class Stages(E2ECase):

    def test_converter_stdout(self):
        f = h.write_csv(self.path("conv.csv"), ["id", "txt", "num"],
                        h.random_rows(31, 150, 3))
        p = h.converter("--stdout", "conv.csv", cwd=self.dir)
        self.assertExit(p, 0)
        h.xmllint_docs([p.stdout])
        d = h.Doc(p.stdout)
        self.assertEqual((d.source, d.sid), ("conv.csv", 1))
        self.assertRowsEqual(self.rows_of([d]),
                             h.expected_rows([("conv.csv", f)]))
        self.assertEqual(p.stdout.count(b"<?xml"), 1)
        # the same from stdin, source "-"
        with open(f, "rb") as fh:
            data = fh.read()
        p2 = h.converter("--stdout", "-", cwd=self.dir, input=data)
        self.assertExit(p2, 0)
        d2 = h.Doc(p2.stdout)
        self.assertEqual(d2.source, "-")
        self.assertEqual(d2.rows, d.rows)
        # --stdout=FILE is the same as --stdout FILE; two inputs are not
        p4 = h.converter("--stdout=conv.csv", cwd=self.dir)
        self.assertExit(p4, 0)
        self.assertEqual(p4.stdout, p.stdout)
        p5 = h.converter("--stdout=conv.csv", "conv.csv", cwd=self.dir)
        self.assertExit(p5, 2)
        self.assertIn("--stdout converts one input", p5.stderr.decode())
        # and it is what the pipeline writes (for one document)
        p3 = self.csvpack("-q", "-o", "out", "conv.csv")
        self.assertExit(p3, 0)
        docs = self.check_archives(self.path("out"))
        self.assertEqual([x.data for x in docs], [p.stdout])

    def test_converter_stdout_bad_input(self):
        h.write_bytes(self.path("bad.csv"), b"a,b\n1,2\n\n3,\"4\n")
        p = h.converter("--stdout", "bad.csv", cwd=self.dir)
        self.assertExit(p, 65)
        self.assertRegex(p.stderr.decode(),
                         r"(?m)^csvpack-converter: bad\.csv:4: \S")

    def test_packer_dir(self):
        src = self.path("docs")
        os.makedirs(src)
        datas = {}
        for i in (3, 1, 5, 2, 4):   # created out of order
            h.write_csv(self.path("in%d.csv" % i), ["n", "v"],
                        [[str(i), "x" * i], [str(-i), "<&>"]])
            p = h.converter("--stdout", "in%d.csv" % i, cwd=self.dir)
            self.assertExit(p, 0)
            data = p.stdout.replace(b'sid="1"', b'sid="%d"' % i)
            datas["%06d.xml" % i] = data
            h.write_bytes(os.path.join(src, "%06d.xml" % i), data)
        p = h.packer("--dir", src, "-o", self.path("out"), "-q",
                     cwd=self.dir)
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), batch=100)
        self.assertEqual(h.archive_names(self.path("out")), ["000001.tgz"])
        self.assertEqual({d.member.name: d.data for d in docs}, datas)
        self.assertEqual([d.source for d in docs],
                         ["in%d.csv" % i for i in range(1, 6)])

    def test_packer_dir_refuses_a_cut_short_document(self):
        """--dir deletes what it packs, so a document cut short (a copy
        still under way) stops the run before anything is packed."""
        src = self.path("docs")
        os.makedirs(src)
        h.write_csv(self.path("in.csv"), ["n"], [["1"], ["2"]])
        whole = h.converter("--stdout", "in.csv", cwd=self.dir).stdout
        h.write_bytes(os.path.join(src, "000001.xml"), whole)
        h.write_bytes(os.path.join(src, "000002.xml"), whole[:-20])
        p = h.packer("--dir", src, "-o", self.path("out"), "-b", "1",
                     cwd=self.dir)
        self.assertExit(p, 65)
        self.assertRegex(p.stderr.decode(), r"docs/000002\.xml:\d+: not "
                         r"well-formed XML: .*; nothing packed")
        self.assertEqual(h.archive_names(self.path("out")), [])
        self.assertEqual(sorted(os.listdir(src)),
                         ["000001.xml", "000002.xml"])
        # Made whole, the same command packs both.
        h.write_bytes(os.path.join(src, "000002.xml"), whole)
        p = h.packer("--dir", src, "-o", self.path("out"), "-b", "1",
                     "-q", cwd=self.dir)
        self.assertExit(p, 0)
        self.assertEqual(h.archive_names(self.path("out")),
                         ["000001.tgz", "000002.tgz"])
        self.assertEqual(os.listdir(src), [])

    def test_hand_started_stages_ipc_names(self):
        """Stages started by hand with one --name form a pipeline; its IPC
        objects are named csvpack-<uid>-<name>[.event], mode 0600, and are
        gone at the end."""
        name = self.name("hand")
        out = self.path("out")
        f = h.write_csv(self.path("in.csv"), ["a", "b"],
                        h.random_rows(41, 90, 2))
        pk = h.start([h.PACKER, "--name", name, "-o", out, "-b", "2",
                      "-r", "10", "-q"], name=name)
        deadline = time.monotonic() + 10
        want = sorted(["csvpack-%d-%s" % (UID, name)] +
                      ["sem.csvpack-%d-%s.%s" % (UID, name, e)
                       for e in ("converted", "data", "packed", "space")])
        while time.monotonic() < deadline and h.shm_entries(name) != want:
            time.sleep(0.05)
        seen = h.shm_entries(name)
        modes = {e: stat.S_IMODE(os.stat(os.path.join(h.SHM, e)).st_mode)
                 for e in seen}
        cv = h.start([h.CONVERTER, "--name", name, "-o", out, "-b", "2",
                      "-r", "10", "-q"], name=name)
        pr = h.start([h.PRODUCER, "--name", name, "-o", out, "-b", "2",
                      "-r", "10", "-q", "in.csv"], cwd=self.dir, name=name)
        for proc in (pr, cv, pk):
            self.assertExit(proc.wait(), 0)
        self.assertEqual(seen, want)
        self.assertEqual(set(modes.values()), {0o600}, modes)
        self.assertNoShm(name)
        docs = self.check_archives(out, batch=2, rows=10, inputs=["in.csv"])
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("in.csv", f)]))


class Isolation(E2ECase):

    def test_no_ipc_left_after_runs(self):
        h.write_csv(self.path("ok.csv"), ["a"], [["1"]])
        h.write_bytes(self.path("bad.csv"), b"a\n1\n\"2\n")
        for args, code in ((["ok.csv"], 0), (["bad.csv"], 65),
                           (["-b", "0", "ok.csv"], 2)):
            with self.subTest(args=args):
                name = self.name()
                p = self.csvpack("-q", "-o", "out-%d" % code, *args,
                                 name=name)
                self.assertExit(p, code)
                self.assertEqual(h.shm_entries(name), [])

    def test_two_pipelines_concurrently(self):
        inputs = []
        for i in range(2):
            f = h.write_csv(self.path("in%d.csv" % i), ["a", "b", "c", "d"],
                            h.random_rows(50 + i, 30000, 4))
            inputs.append(("in%d.csv" % i, f))
        procs = []
        for i in range(2):
            name = self.name("conc")
            procs.append((name, h.start(
                [h.LAUNCHER, "--name", name, "-q", "-o", "out%d" % i,
                 "-b", "5", "-r", "200", inputs[i][0]], cwd=self.dir, name=name)))
        results = [(name, pr.wait()) for name, pr in procs]
        for i, (name, p) in enumerate(results):
            self.assertExit(p, 0)
            self.assertNoShm(name)
            docs = self.check_archives(self.path("out%d" % i), batch=5,
                                       rows=200, tar_check=False,
                                       inputs=[inputs[i][0]])
            self.assertRowsEqual(self.rows_of(docs),
                                 h.expected_rows([inputs[i]]),
                                 "pipeline %d" % i)
            self.assertEqual(len(lines(p)), 30)


class Robustness(E2ECase):

    def test_ring_wraps_around(self):
        """An input several times the ring's size goes through it (the ring
        wraps around many times; back-pressure, not a crash)."""
        f = h.write_csv(self.path("w.csv"), ["a", "b"],
                        [[str(i), "x%d" % i] for i in range(20000)])
        self.assertGreater(os.path.getsize(f), 3 * 64 * 1024)
        for ring, r in (("64K", "1000"), ("64K", "37"), ("1M", "1000")):
            with self.subTest(ring=ring, rows=r):
                out = "out-%s-%s" % (ring, r)
                p = self.csvpack("-q", "-o", out, "--ring-size", ring,
                                 "-b", "3", "-r", r, "w.csv")
                self.assertEqual(
                    p.returncode, 0,
                    "PRODUCT BUG: a %s-byte input through --ring-size %s "
                    "fails (exit %d): %s" % (os.path.getsize(f), ring,
                                             p.returncode,
                                             p.stderr.decode()[-600:]))
                docs = self.check_archives(self.path(out), batch=3,
                                           rows=int(r), tar_check=False,
                                           inputs=["w.csv"])
                self.assertRowsEqual(self.rows_of(docs),
                                     h.expected_rows([("w.csv", f)]))

    def half_made(self, name, size, creator=0, age=0):
        """Leaves what a creator killed mid-set-up leaves: a segment of
        size bytes, zeros but the creator's pid (offset 32 in the
        header), and no semaphores."""
        seg = os.path.join(h.SHM, "csvpack-%d-%s" % (os.getuid(), name))
        data = bytearray(size)
        if creator:
            data[32:36] = struct.pack("=i", creator)
        with open(seg, "wb") as f:
            f.write(data)
        os.chmod(seg, 0o600)
        if age:
            then = time.time() - age
            os.utime(seg, (then, then))

    def test_half_made_segment_is_replaced(self):
        """A segment whose creator died before finishing it does not
        block the name: the next run replaces it at once."""
        dead = subprocess.Popen(["true"])
        dead.wait()
        f = h.write_csv(self.path("x.csv"), ["a"], [["1"], ["2"], ["3"]])
        cases = (("signed by a dead pid", 4096, dead.pid, 0),
                 ("never sized, a minute old", 0, 0, 60),
                 ("never signed, a minute old", 4096, 0, 60))
        for what, size, creator, age in cases:
            with self.subTest(what):
                name = self.name("half")
                self.half_made(name, size, creator, age)
                out = "out-%d-%d" % (size, age)
                p = self.csvpack("-o", out, "-q", "x.csv", name=name,
                                 timeout=60)
                self.assertExit(p, 0, what)
                self.assertIn("removing what a dead run left",
                              p.stderr.decode())
                docs = self.check_archives(self.path(out), inputs=["x.csv"])
                self.assertRowsEqual(self.rows_of(docs),
                                     h.expected_rows([("x.csv", f)]))

    def test_sigterm_while_waiting_for_a_creator(self):
        """Stages waiting for a segment to be finished stop on SIGTERM
        (128+15), not after their whole wait."""
        name = self.name("halfterm")
        self.half_made(name, 4096)   # fresh and unsigned: being set up
        h.write_csv(self.path("x.csv"), ["a"], [["1"]])
        run = h.start([h.LAUNCHER, "--name", name, "-o", "out", "x.csv"],
                      cwd=self.dir, timeout=30, name=name)
        seg = os.path.join(h.SHM, "csvpack-%d-%s" % (UID, name))

        def waiting():
            # A stage waiting for the creator has mapped its header.
            stages = [pid for pid, cmd in h.group_members(run.popen.pid)
                      if re.search(r"csvpack-(producer|converter|packer) ",
                                   cmd)]
            return len(stages) == 3 and all(maps(pid, seg)
                                            for pid in stages)
        self.assertTrue(self.wait_for(waiting, 10), "the three stages did "
                        "not start waiting for the segment's creator")
        os.kill(run.popen.pid, signal.SIGTERM)
        p = run.wait()
        self.assertExit(p, 128 + signal.SIGTERM)
        self.assertIn("was still being set up", p.stderr.decode())
        self.assertNoShm(name)

    def test_row_too_big_for_ring(self):
        """A single row bigger than the ring: exit 65 (bad input data) or 1,
        naming FILE:LINE and --ring-size."""
        h.write_bytes(self.path("big.csv"),
                      b"a,b\n1,2\n3,\"" + b"y" * 200000 + b"\"\n5,6\n")
        p = self.csvpack("-q", "-o", "out", "--ring-size", "64K", "big.csv")
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.decode()
        self.assertRegex(err, r"big\.csv:3: ")
        self.assertIn("--ring-size", err)

    def test_no_process_outlives_failed_run(self):
        """After the launcher exits (here: bad input, exit 65) nothing it
        started is still running: `csvpack ... | consumer` sees EOF at
        once."""
        h.write_bytes(self.path("bad.csv"), b"a\n1\n\"2\n")
        t0 = time.monotonic()
        p = self.csvpack("-q", "-o", "out", "bad.csv")
        self.assertExit(p, 65)
        self.assertEqual(
            p.leftover, [],
            "PRODUCT BUG: processes still running %.1f s after the launcher "
            "exited (they hold its stdout/stderr open, so `csvpack BAD | cat`"
            " waits for them): %r" % (time.monotonic() - t0, p.leftover))
