"""End-to-end tests of the documents' shape (SPEC "Shape of the documents").

A corpus of three inputs (quoted fields, CR and CRLF inside values, values
that look like markup, non-ASCII headers and values, repeated headers, the
strings NULL and "" quoted and not) is built from cells that say whether
they are quoted, so the test knows which fields may be null.  A table of
option sets (--root/--row, --provenance, --xmlns and --xmlns-prefix,
--attr by header and by number, --null with each --null-as, the three
layouts, and combinations) is run through the whole pipeline (-r 2 -b 2:
several documents per input, several archives) and, for some, through
`csvpack-converter --stdout`.  For each:

  - every document passes `xmllint --noout`;
  - ElementTree reads every row back exactly: the columns by name (the
    element-name rules; attributes named the same way without the _2
    de-duplication), in column order, attributes after line, every
    element in the namespace --xmlns says, a null read back as null
    (xsi:nil="true" under nil, absent under omit) or empty (under empty);
  - provenance attributes are there or not, as --provenance says;
  - white space between elements is what --layout says, and never inside
    a value.

One document is also read with `xmllint --xpath`, and, where pandas and
lxml import (Debian's python3-pandas, python3-lxml), pandas' read_xml reads
a default-shape and an --attr document as a receiver would.

Refusals: a --attr COL that matches no column of an input, or a header
that makes two attributes clash (or one clash with line), exits 65 naming
the input, after the rows of the inputs before it are archived; usage
errors exit 2 with a message (skipped, saying so, while the option parser
does not know the shape options yet).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import xml.etree.ElementTree as ET

from helpers import CONVERTER, E2ECase, converter, csvpack, run, xmllint_docs

XSI = "http://www.w3.org/2001/XMLSchema-instance"
NIL = "{%s}nil" % XSI


def Q(v):
    """A quoted cell."""
    return (v, True)


def cell(c):
    return c if isinstance(c, tuple) else (c, False)


def count_breaks(s):
    return s.count("\n") + s.count("\r") - s.count("\r\n")


class Input:
    """One CSV input made of cells; names: the element names of its
    columns; attr_names: the names its columns get as attributes."""

    def __init__(self, fname, header, names, attr_names, rows):
        self.fname = fname
        self.header = header
        self.names = names
        self.attr_names = attr_names
        self.rows = [[cell(c) for c in r] for r in rows]

    def text(self):
        def one(c):
            v, q = c
            if q:
                return '"' + v.replace('"', '""') + '"'
            assert not re.search(r'[,"\r\n]', v), v
            return v
        out = [",".join(one(cell(h)) for h in self.header) + "\n"]
        for r in self.rows:
            out.append(",".join(one(c) for c in r) + "\n")
        return "".join(out)

    def lines(self):
        """The physical line where each row starts."""
        line = 1 + count_breaks(self.text().split("\n", 1)[0] + "\n")
        out = []
        for r in self.rows:
            out.append(line)
            line += sum(count_breaks(v) for v, _ in r) + 1
        return out


CORPUS = [
    Input("a.csv", ["id", "name", "price", "note"],
          ["id", "name", "price", "note"], ["id", "name", "price", "note"], [
              ["1", Q("Widget, large"), "12.50", "NULL"],
              ["2", Q("NULL"), "", Q("")],
              ["3", Q("line1\r\nline2"), "NULL", Q("cr\ronly")],
              ["4", "股票", Q('say "hi"'), "<&>"],
              ["NULL", Q("tab\there"), Q("  spaced  "), Q("a\nb")],
          ]),
    Input("b.csv", ["id", "股票代码", "Ünïcödé", "price"],
          ["id", "股票代码", "Ünïcödé", "price"],
          ["id", "股票代码", "Ünïcödé", "price"], [
              ["10", "ACME", "ü", "1"],
              ["11", Q("NULL"), "NULL", ""],
              ["12", Q("]]>"), Q("x\r\n"), "NULL"],
          ]),
    Input("c.csv", ["id", "x", "x", "a b"], ["id", "x", "x_2", "a_b"],
          ["id", "x", "x", "a_b"], [
              ["20", "p", "q", "r"],
              ["21", "", "NULL", Q("")],
              ["22", Q("<tag/>"), "&amp;", "NULL"],
          ]),
]


class Shape:
    """What a set of options means for the documents."""

    def __init__(self, opts):
        self.opts = list(opts)
        self.root, self.row = "table", "row"
        self.prov, self.null_as, self.layout = "all", "nil", "rows"
        self.xmlns = self.prefix = None
        self.attr, self.nulls = [], []
        i = 0
        while i < len(opts):
            k, v = opts[i], opts[i + 1]
            i += 2
            if k == "--root":
                self.root = v
            elif k == "--row":
                self.row = v
            elif k == "--provenance":
                self.prov = v
            elif k == "--null-as":
                self.null_as = v
            elif k == "--layout":
                self.layout = v
            elif k == "--xmlns":
                self.xmlns = v
            elif k == "--xmlns-prefix":
                self.prefix = v
            elif k == "--attr":
                self.attr += v.split(",")
            elif k == "--null":
                self.nulls.append(v)
            else:
                raise ValueError(k)

    def tag(self, name):
        return "{%s}%s" % (self.xmlns, name) if self.xmlns else name

    def attr_cols(self, inp):
        cols = set()
        for c in self.attr:
            if c in inp.header:
                cols.add(inp.header.index(c))
            else:
                cols.add(int(c) - 1)
        return sorted(cols)

    def expect(self, inp):
        """[(source, line, values)]: a null as None, or "" under empty."""
        out = []
        for line, r in zip(inp.lines(), inp.rows):
            vals = []
            for v, q in r:
                if not q and v in self.nulls:
                    vals.append("" if self.null_as == "empty" else None)
                else:
                    vals.append(v)
            out.append((inp.fname, line, vals))
        return out

    def read_doc(self, tc, data, inp, what):
        """The rows of one document, checked for shape on the way."""
        root = ET.fromstring(data)
        tc.assertEqual(root.tag, self.tag(self.root), what)
        want_root = ["source", "sid"] if self.prov != "none" else []
        tc.assertEqual(list(root.attrib), want_root, what)
        text = data.decode("utf-8")
        if self.xmlns:
            decl = "xmlns:%s" % self.prefix if self.prefix else "xmlns"
            tc.assertIn('%s="%s"' % (decl, self.xmlns), text.split(">")[1],
                         what)
        has_xsi = 'xmlns:xsi="%s"' % XSI in text.split(">")[1]
        tc.assertEqual(has_xsi, bool(self.nulls) and self.null_as == "nil",
                       what)
        if self.prefix:
            tc.assertTrue(re.search(r"<%s:%s[ >]" % (self.prefix, self.row),
                                    text), what)
        acols = self.attr_cols(inp)
        rows = []
        for k, row in enumerate(root):
            tc.assertEqual(row.tag, self.tag(self.row), what)
            want_attrs = (["line"] if self.prov == "all" else []) + \
                [inp.attr_names[c] for c in acols]
            got_attrs = list(row.attrib)
            # Present ones in order; absent ones only where null.
            tc.assertEqual(got_attrs, [a for a in want_attrs
                                       if a in row.attrib], what)
            children = list(row)
            tags = [c.tag for c in children]
            want_tags = [self.tag(inp.names[i]) for i in range(len(inp.names))
                         if i not in acols]
            tc.assertEqual(tags, [t for t in want_tags if t in tags],
                           "%s row %d: children out of order" % (what, k))
            by_tag = {c.tag: c for c in children}
            vals = []
            for i in range(len(inp.names)):
                if i in acols:
                    vals.append(row.get(inp.attr_names[i]))
                    continue
                c = by_tag.get(self.tag(inp.names[i]))
                if c is None:
                    vals.append(None)
                elif c.get(NIL) == "true":
                    tc.assertEqual((len(c), c.text), (0, None), what)
                    vals.append(None)
                else:
                    tc.assertEqual(len(c), 0, what)
                    vals.append(c.text or "")
            line = row.get("line")
            rows.append((root.get("source"),
                         int(line) if line is not None else None, vals))
            self.check_layout(tc, root, row, k, what)
        if self.layout == "compact":
            tc.assertIsNone(root.text, what)
        elif len(root):
            tc.assertEqual(root.text, "\n  ", what)
        return root, rows

    def check_layout(self, tc, root, row, k, what):
        last = k == len(root) - 1
        children = list(row)
        if self.layout == "compact":
            tc.assertIsNone(row.tail, what)
            tc.assertIsNone(row.text if children else None, what)
            for c in children:
                tc.assertIsNone(c.tail, what)
            return
        tc.assertEqual(row.tail, "\n" if last else "\n  ", what)
        if self.layout == "rows":
            tc.assertIsNone(row.text if children else None, what)
            for c in children:
                tc.assertIsNone(c.tail, what)
            return
        if children:
            tc.assertEqual(row.text, "\n    ", what)
        for j, c in enumerate(children):
            tc.assertEqual(c.tail, "\n  " if j == len(children) - 1
                           else "\n    ", what)


COMBOS = [
    [],
    ["--root", "orders", "--row", "order"],
    ["--provenance", "doc"],
    ["--provenance", "none"],
    ["--xmlns", "urn:example:orders"],
    ["--xmlns", "urn:example:x", "--xmlns-prefix", "p"],
    ["--attr", "id"],
    ["--attr", "4,id"],
    ["--null", "NULL"],
    ["--null", "NULL", "--null", "", "--null-as", "omit"],
    ["--null", "NULL", "--null-as", "empty"],
    ["--attr", "id,4", "--null", "NULL", "--null", ""],
    ["--attr", "1", "--null", "NULL", "--null-as", "omit"],
    ["--layout", "pretty"],
    ["--layout", "compact"],
    ["--layout", "pretty", "--attr", "1,2,4"],
    ["--root", "orders", "--row", "order", "--attr", "id",
     "--xmlns", "urn:example:orders", "--null", "NULL",
     "--layout", "pretty"],
    ["--xmlns", "urn:x", "--xmlns-prefix", "x", "--attr", "2",
     "--provenance", "none", "--null", "NULL", "--null-as", "omit",
     "--layout", "compact"],
    ["--row", "r", "--provenance", "doc", "--null", "", "--null-as",
     "empty", "--layout", "pretty"],
]

ALL = ["--root", "orders", "--row", "order", "--attr", "id", "--xmlns",
       "urn:example:orders", "--null", "NULL", "--layout", "pretty"]

_parsed = None


def shape_options_parsed():
    """Whether the option parser knows the shape options yet: a probe
    with --root and --layout through csvpack-converter --stdout."""
    global _parsed
    if _parsed is None:
        d = tempfile.mkdtemp(prefix="e2e-shape-probe-")
        try:
            f = os.path.join(d, "p.csv")
            with open(f, "w") as fh:
                fh.write("a\n1\n")
            p = converter("--stdout", "--root", "probe", "--layout",
                          "compact", "--null", "1", f, timeout=30)
            _parsed = p.returncode == 0 and \
                b"<probe " in p.stdout and b"xsi:nil=\"true\"" in p.stdout
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return _parsed


NOT_PARSED = ("the shape options are not parsed yet (common/options.c, "
              "issue 13's option parsing): the writer is tested by the "
              "unit suite 'shape' meanwhile")


def archive_docs(outdir):
    """[(archive, member, data)] in archive order, members in tar order."""
    out = []
    for a in sorted(f for f in os.listdir(outdir) if f.endswith(".tgz")):
        with tarfile.open(os.path.join(outdir, a), "r:gz") as tf:
            for m in tf.getmembers():
                out.append((a, m.name, tf.extractfile(m).read()))
    return out


READ_XML = r"""
import json, sys
import pandas
df = pandas.read_xml(sys.argv[1], dtype=str)
rows = [{c: (None if pandas.isna(v) else v) for c, v in r.items()}
        for r in df.to_dict("records")]
try:
    from pandas._libs.parsers import STR_NA_VALUES as na
except ImportError:
    na = {"", "NULL", "null", "NaN", "nan", "NA", "N/A", "n/a", "None"}
json.dump([list(df.columns), rows, sorted(na)], sys.stdout)
"""


def pandas_python():
    """A python3 that imports pandas and lxml, or None."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import pandas, lxml"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, timeout=120).returncode == 0:
            return py
    return None


class ShapeCase(E2ECase):
    def setUp(self):
        super().setUp()
        if not shape_options_parsed():
            self.skipTest(NOT_PARSED)

    def write_corpus(self, inputs=CORPUS):
        for inp in inputs:
            with open(self.path(inp.fname), "w", newline="",
                      encoding="utf-8") as f:
                f.write(inp.text())
        return [inp.fname for inp in inputs]

    def read_run(self, shape, outdir, inputs):
        """Every row of a run's archives, checked document by document."""
        docs = archive_docs(outdir)
        xmllint_docs([d for _, _, d in docs])
        by_name = {inp.fname: inp for inp in inputs}
        # Without source on the root, documents are matched to inputs by
        # their order: sids follow the inputs, -r 2 rows each.
        order = []
        for inp in inputs:
            order += [inp] * ((len(inp.rows) + 1) // 2)
        self.assertEqual(len(docs), len(order))
        rows = []
        for k, (a, m, data) in enumerate(docs):
            what = "%s %s %s" % (" ".join(shape.opts), a, m)
            inp = order[k]
            root, got = shape.read_doc(self, data, inp, what)
            if shape.prov != "none":
                self.assertIs(by_name[root.get("source")], inp, what)
                self.assertEqual(root.get("sid"), str(k + 1), what)
            rows += [(inp.fname, line, vals) for _, line, vals in got]
        self.verify_run(shape, outdir, inputs)
        return rows

    def verify_run(self, shape, outdir, inputs):
        """csvpack verify reads documents of every shape: given the run's
        shape options it finds the delivery complete, against itself and
        against the inputs, field by field (nulls, attributes, names)."""
        names = [inp.fname for inp in inputs]
        for args in ([outdir], [outdir] + names):
            p = csvpack("verify", *(list(shape.opts) + args), cwd=self.dir)
            self.assertEqual((p.returncode, p.stdout), (0, b""),
                             "verify %s %s: %s" % (" ".join(shape.opts),
                                                  " ".join(args),
                                                  p.stdout.decode() +
                                                  p.stderr.decode()))

    def want_rows(self, shape, inputs):
        want = []
        for inp in inputs:
            want += shape.expect(inp)
        if shape.prov != "all":
            want = [(s, None, v) for s, _, v in want]
        return want


class TestShapes(ShapeCase):
    def test_combinations_through_the_pipeline(self):
        inputs = self.write_corpus()
        for opts in COMBOS:
            with self.subTest(opts=" ".join(opts)):
                shape = Shape(opts)
                out = "out-%d" % COMBOS.index(opts)
                p = self.csvpack("-q", "-o", out, "-r", "2", "-b", "2",
                                 *(opts + inputs))
                self.assertExit(p, 0)
                got = self.read_run(shape, self.path(out), CORPUS)
                self.assertEqual(got, self.want_rows(shape, CORPUS))

    def test_combinations_on_stdout(self):
        self.write_corpus()
        for opts in [ALL, ["--attr", "4,id", "--null", "NULL",
                           "--null-as", "empty", "--layout", "compact"],
                     ["--xmlns", "urn:x", "--xmlns-prefix", "q",
                      "--null", "NULL", "--provenance", "doc"]]:
            for inp in CORPUS:
                with self.subTest(opts=" ".join(opts), input=inp.fname):
                    shape = Shape(opts)
                    p = converter("--stdout", *opts, inp.fname,
                                  cwd=self.dir)
                    self.assertExit(p, 0)
                    xmllint_docs([p.stdout])
                    root, got = shape.read_doc(self, p.stdout, inp,
                                               " ".join(opts))
                    want = shape.expect(inp)
                    if shape.prov != "all":
                        want = [(s, None, v) for s, _, v in want]
                    if shape.prov == "none":
                        got = [(inp.fname, l, v) for _, l, v in got]
                    self.assertEqual(got, want)

    def test_verify_needs_the_runs_shape(self):
        """Given other shape options than the run's, verify says how the
        documents differ, rather than taking them as they are."""
        inputs = self.write_corpus()
        p = self.csvpack("-q", "-o", "out", "--null", "NULL", "--attr", "1",
                         *inputs)
        self.assertExit(p, 0)
        # Without --attr 1 the archive lacks the element <id>; with
        # --attr 1 and without --null, a null's xsi:nil is no value.
        for opts, frag in (([], "row 1 has 4 fields, out/000001.tgz "
                            "000001.xml row 1 has 3"),
                           (["--attr", "1"], "is xsi:nil in the archive, "
                            "not null in the input"),
                           (["--null", "NULL", "--attr", "1", "--root",
                             "t"], "the root element is <table>, not <t>")):
            with self.subTest(opts=" ".join(opts)):
                p = csvpack("verify", *(opts + ["out"] + inputs),
                            cwd=self.dir)
                self.assertEqual(p.returncode, 1, p.stderr.decode())
                self.assertIn(frag, p.stdout.decode())

    def test_nulls_are_counted(self):
        inputs = self.write_corpus()
        p = converter("--stdout", "--null", "NULL", "a.csv", cwd=self.dir)
        self.assertExit(p, 0)
        self.assertIn("a.csv: 3 null fields", p.stderr.decode())
        p = self.csvpack("-o", "out", "--null", "NULL", "--null", "",
                         *inputs)
        self.assertExit(p, 0)
        err = p.stderr.decode()
        self.assertIn("a.csv: 4 null fields", err)
        self.assertIn("b.csv: 3 null fields", err)
        self.assertIn("c.csv: 3 null fields", err)

    def test_xpath(self):
        """xmllint --xpath reads the README's shape back."""
        inputs = self.write_corpus(CORPUS[:1])
        p = self.csvpack("-q", "-o", "out", *(ALL + inputs))
        self.assertExit(p, 0)
        (_, _, data), = archive_docs(self.path("out"))
        f = self.path("doc.xml")
        with open(f, "wb") as fh:
            fh.write(data)

        def xpath(expr):
            r = run(["xmllint", "--xpath", expr, f], timeout=30)
            self.assertEqual(r.returncode, 0, (expr, r.stderr))
            out = r.stdout.decode("utf-8")
            return out[:-1] if out.endswith("\n") else out   # its own

        inp = CORPUS[0]
        self.assertEqual(xpath("count(/*/*[local-name()='order'])"),
                         str(len(inp.rows)))
        for k, (line, r) in enumerate(zip(inp.lines(), inp.rows), 1):
            row = "/*/*[local-name()='order'][%d]" % k
            self.assertEqual(xpath("string(%s/@line)" % row), str(line))
            want_id = "" if r[0] == ("NULL", False) else r[0][0]
            self.assertEqual(xpath("string(%s/@id)" % row), want_id)
            self.assertEqual(xpath("count(%s/@id)" % row),
                             "0" if want_id == "" else "1")
            for i, col in ((1, "name"), (2, "price"), (3, "note")):
                v, q = r[i]
                el = "%s/*[local-name()='%s']" % (row, col)
                nil = xpath("string(%s/@*[local-name()='nil'])" % el)
                if v == "NULL" and not q:
                    self.assertEqual(nil, "true", (k, col))
                else:
                    self.assertEqual(nil, "", (k, col))
                    self.assertEqual(xpath("string(%s)" % el), v, (k, col))

    def test_pandas_read_xml(self):
        """pandas' read_xml, as a receiver would read the documents: run
        by whichever python3 imports pandas and lxml (this one, or
        Debian's /usr/bin/python3 where the suite runs under another)."""
        python = pandas_python()
        if not python:
            self.skipTest("pandas with lxml does not import here nor in "
                          "/usr/bin/python3 (Debian: apt-get install "
                          "python3-pandas python3-lxml)")
        for inp in CORPUS[:2]:
            self.write_corpus([inp])
            for opts in ([], ["--attr", "id"]):
                with self.subTest(input=inp.fname, opts=" ".join(opts)):
                    p = converter("--stdout", *opts, inp.fname,
                                  cwd=self.dir)
                    self.assertExit(p, 0)
                    f = self.path("doc.xml")
                    with open(f, "wb") as fh:
                        fh.write(p.stdout)
                    r = run([python, "-c", READ_XML, f], timeout=120)
                    self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                    # What pandas takes for NaN by default ("NULL", "",
                    # "NA", ...) it reads as NaN from any document.
                    cols, rows, na = json.loads(r.stdout)
                    self.assertEqual(sorted(cols),
                                     sorted(["line"] + inp.names))
                    want = []
                    for line, row in zip(inp.lines(), inp.rows):
                        d = {"line": str(line)}
                        # and it strips the white space around a text.
                        d.update((n, None if v.strip() in na else v.strip())
                                 for n, (v, _) in zip(inp.names, row))
                        want.append(d)
                    self.assertEqual(rows, want)


class TestRefusals(ShapeCase):
    def test_attr_matching_no_column(self):
        inputs = self.write_corpus()
        for col in ("nope", "0", "5", "ID"):
            with self.subTest(col=col):
                p = converter("--stdout", "--attr", col, "a.csv",
                              cwd=self.dir)
                self.assertExit(p, 65)
                self.assertEqual(p.stdout, b"")
                err = p.stderr.decode()
                self.assertIn("a.csv", err)
                self.assertIn("--attr %s" % col, err)
        # In a pipeline: the inputs before the bad one are archived, the
        # run exits 65 naming it.  c.csv has no column "price".
        p = self.csvpack("-o", "out", "-r", "2", "--attr", "price",
                         *inputs)
        self.assertExit(p, 65)
        err = p.stderr.decode()
        self.assertIn("c.csv: --attr price", err)
        shape = Shape(["--attr", "price"])
        got = self.read_run(shape, self.path("out"), CORPUS[:2])
        self.assertEqual(got, self.want_rows(shape, CORPUS[:2]))

    def test_header_makes_attributes_clash(self):
        clash = Input("d.csv", ["id", "line", "a b", "a_b"],
                      ["id", "line", "a_b", "a_b_2"],
                      ["id", "line", "a_b", "a_b"], [["1", "2", "3", "4"]])
        self.write_corpus([clash] + CORPUS)
        # "a b" and "a_b" clash whatever the header: the options alone
        # say so (exit 2, SPEC), before any input is read.
        p = converter("--stdout", "--attr", "1,a b,a_b", "d.csv",
                      cwd=self.dir)
        self.assertExit(p, 2)
        self.assertIn("'a b' and 'a_b' are both the attribute 'a_b'",
                      p.stderr.decode())
        for opts, frag in ((["--attr", "3,4"], "--attr 3 and --attr 4"),
                           (["--attr", "2"], "--attr 2")):
            with self.subTest(opts=" ".join(opts)):
                p = converter("--stdout", *opts, "d.csv", cwd=self.dir)
                self.assertExit(p, 65)
                self.assertIn("d.csv: " + frag, p.stderr.decode())
                p = self.csvpack("-o", "out", *opts, "d.csv")
                self.assertExit(p, 65)
                self.assertIn("d.csv: " + frag, p.stderr.decode())
        # c.csv repeats "x": its columns 2 and 3 clash by number, while by
        # header only the first is meant.
        p = converter("--stdout", "--attr", "2,3", "c.csv", cwd=self.dir)
        self.assertExit(p, 65)
        self.assertIn("c.csv: --attr 2 and --attr 3", p.stderr.decode())
        p = converter("--stdout", "--attr", "x", "c.csv", cwd=self.dir)
        self.assertExit(p, 0)
        root = ET.fromstring(p.stdout)
        self.assertEqual([r.get("x") for r in root], ["p", "", "<tag/>"])
        self.assertEqual([r.find("x_2").text for r in root],
                         ["q", "NULL", "&amp;"])
        # Not a clash without line: --provenance doc.
        p = converter("--stdout", "--attr", "2", "--provenance", "doc",
                      "d.csv", cwd=self.dir)
        self.assertExit(p, 0)
        self.assertIn(b'<row line="2">', p.stdout)

    def test_usage_errors(self):
        self.write_corpus(CORPUS[:1])
        for opts, option in ((["--root", "1x"], "--root"),
                             (["--root", "a:b"], "--root"),
                             (["--row", "a b"], "--row"),
                             (["--provenance", "some"], "--provenance"),
                             (["--null-as", "null"], "--null-as"),
                             (["--layout", "tree"], "--layout"),
                             (["--xmlns-prefix", "p"], "--xmlns-prefix"),
                             (["--attr", "line"], "line"),
                             (["--attr", "a b,a_b"], "a_b")):
            for how in ("stdout", "pipeline"):
                with self.subTest(opts=" ".join(opts), how=how):
                    if how == "stdout":
                        p = converter("--stdout", *opts, "a.csv",
                                      cwd=self.dir)
                    else:
                        p = self.csvpack("-o", "out", *opts, "a.csv")
                    self.assertExit(p, 2)
                    self.assertIn(option, p.stderr.decode())
                    self.assertFalse(os.path.exists(self.path("out")) and
                                     os.listdir(self.path("out")))


if __name__ == "__main__":
    unittest.main()
