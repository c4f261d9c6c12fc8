"""--xsd and --schema (issue 13; SPEC "Shape of the documents").

A corpus of three inputs with one header (non-ASCII and repeated names,
an empty one) and rows with quoted fields, CR and CRLF inside values,
markup-like values and the strings NULL and "" quoted and not, is run
through the whole pipeline with --xsd (-b 2 -r 3: several documents per
input, several archives) under a table of shapes: the default, --root/
--row, --provenance doc and none, --xmlns with and without --xmlns-prefix,
--null under each --null-as, --attr, the three layouts, --ragged with
rows wider than the header, and the issue's closing combination.  For
each run: schema.xsd is the first member of every archive (a regular
file, 0644, 0/0, the same bytes in every archive, and what
`csvpack-converter --schema` prints for the first input with the same
options); every document of every archive validates with
`xmllint --noout --schema schema.xsd`; nothing is left in staging.

Also: under --manifest SHA256SUMS lists schema.xsd first and
`sha256sum -c` passes; without --xsd no archive holds a schema.xsd; an
input whose columns differ from the first's (after naming) exits 65
naming it, with the rows before it archived (each archive with its
schema) and none of its own; a crash (SIGKILL of the whole pipeline)
and --resume give archives that all start with the schema and verify;
`csvpack-packer --dir DIR --xsd` packs DIR/schema.xsd first and leaves
it, and without one exits 1 saying so, packing nothing.

Until the option parser takes the shape options and the converter writes
the schema (`csvpack-converter --schema FILE` prints one), the tests that
need them are skipped, saying so.
"""

import os
import re
import shutil
import tarfile
import tempfile
import unittest

import helpers as h

SCHEMA = "schema.xsd"
SUMS = "SHA256SUMS"


def _probe_dir():
    return tempfile.mkdtemp(prefix="e2e-xsd-probe-")


def xsd_parsed():
    """The option parser takes --xsd."""
    p = h.packer("--xsd", "--help", timeout=30)
    return p.returncode == 0


def schema_works():
    """csvpack-converter --schema FILE prints an XML Schema: the options
    parse and the converter is wired to xml_schema_print."""
    d = _probe_dir()
    try:
        f = os.path.join(d, "p.csv")
        with open(f, "w") as fh:
            fh.write("a,b\n1,2\n")
        p = h.converter("--schema", f, timeout=30)
        return p.returncode == 0 and b"<xs:schema" in p.stdout
    except Exception:
        return False
    finally:
        shutil.rmtree(d, ignore_errors=True)


XSD_PARSED = xsd_parsed()
SCHEMA_WORKS = XSD_PARSED and schema_works()
NEEDS_OPTIONS = unittest.skipUnless(
    XSD_PARSED, "the option parser does not take --xsd yet")
NEEDS_CONVERTER = unittest.skipUnless(
    SCHEMA_WORKS, "csvpack-converter --schema FILE does not print a schema "
    "yet (the shape options' parser or the converter's --xsd wiring is "
    "not in)")

HEADER = ["id", "name", "股票代码", "name", "", "note"]


def q(v):
    return '"' + v.replace('"', '""') + '"'


# Rows as CSV text, so that quoting is what the test says: NULL and ""
# quoted and not, CR and CRLF inside quoted values, markup.
ROWS = [
    ['1', 'plain', '股票', 'a', 'x', 'ok'],
    ['2', 'NULL', q('NULL'), '', q(''), q('a,b')],
    ['3', q('cr\rin'), q('crlf\r\nin'), q('lf\nin'), '<&>', q('say "hi"')],
    ['NULL', 'x', 'y', 'z', 'w', 'NULL'],
    ['5', '', '', '', '', ''],
    ['6', q(']]>'), '😀', 'é', 'ß', 'NULL'],
    ['7', 'a', 'b', 'c', 'd', 'e'],
]


def write_input(path, header, rows, wide=()):
    with open(path, "w", newline="") as f:
        f.write(",".join(q(c) if c in ("",) else c for c in header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
        for r in wide:
            f.write(",".join(r) + "\n")


SHAPES = [
    ("default", []),
    ("root and row", ["--root", "orders", "--row", "order"]),
    ("provenance doc", ["--provenance", "doc"]),
    ("provenance none", ["--provenance", "none"]),
    ("xmlns", ["--xmlns", "urn:example:orders"]),
    ("xmlns-prefix", ["--xmlns", "urn:example:orders",
                      "--xmlns-prefix", "o"]),
    ("null nil", ["--null", "NULL", "--null", "", "--null-as", "nil"]),
    ("null omit", ["--null", "NULL", "--null", "", "--null-as", "omit"]),
    ("null empty", ["--null", "NULL", "--null-as", "empty"]),
    ("attr", ["--attr", "id,note", "--null", "NULL"]),
    ("attr by number, omit", ["--attr", "2", "--null", "NULL",
                              "--null-as", "omit"]),
    ("layout pretty", ["--layout", "pretty"]),
    ("layout compact", ["--layout", "compact", "--null", "NULL"]),
    ("closing", ["--root", "orders", "--row", "order", "--attr", "id",
                 "--xmlns", "urn:example:orders", "--null", "NULL",
                 "--layout", "pretty"]),
    ("prefix, none, omit, compact", ["--xmlns", "urn:y", "--xmlns-prefix",
                                     "y", "--provenance", "none", "--null",
                                     "NULL", "--null-as", "omit",
                                     "--layout", "compact"]),
]


def members(path):
    """[(TarInfo, bytes)] of an archive, in tar order."""
    with tarfile.open(path, "r:gz") as tf:
        return [(m, tf.extractfile(m).read()) for m in tf.getmembers()]


class Xsd(h.E2ECase):
    def corpus(self, n=3, ragged=False):
        paths = []
        for i in range(n):
            p = self.path("in%d.csv" % i)
            wide = ()
            if ragged:
                wide = [['8', 'a', 'b', 'c', 'd', 'e', 'extra'],
                        ['9', 'a', 'b', 'c', 'd', 'e', 'x1', 'x2']]
            write_input(p, HEADER, ROWS[i:] + ROWS[:i], wide)
            paths.append(os.path.basename(p))
        return paths

    def run_xsd(self, out, opts, inputs, code=0):
        p = self.csvpack("-q", "-o", out, "-b", "2", "-r", "3", "--xsd",
                         *(opts + inputs))
        self.assertExit(p, code)
        return p

    def check_schema_archives(self, outdir, what, want_schema=None):
        """Every archive of outdir starts with schema.xsd (one header, the
        same bytes everywhere), every document validates against it with
        xmllint; returns (schema bytes, [(archive, [member names])])."""
        names = h.archive_names(outdir)
        self.assertTrue(names, what + ": no archive")
        schema, listing, docs = None, [], []
        for a in names:
            ms = members(os.path.join(outdir, a))
            first, body = ms[0]
            self.assertEqual(first.name, SCHEMA, "%s: %s: first member"
                             % (what, a))
            self.assertEqual([m.name for m, _ in ms].count(SCHEMA), 1, a)
            self.assertTrue(first.isreg())
            self.assertEqual((first.mode, first.uid, first.gid, first.uname,
                              first.gname), (0o644, 0, 0, "", ""), a)
            self.assertEqual(first.mtime, ms[1][0].mtime, a)
            if schema is None:
                schema = body
            self.assertEqual(body, schema, "%s: %s holds another schema"
                             % (what, a))
            listing.append((a, [m.name for m, _ in ms]))
            docs += [(a, m.name, b) for m, b in ms
                     if h.MEMBER_RE.match(m.name)]
        self.assertTrue(docs, what + ": no document")
        if want_schema is not None:
            self.assertEqual(schema, want_schema, what + ": the archives' "
                             "schema is not what --schema prints")
        self.xmllint_schema(schema, docs, what)
        self.assertFalse(os.path.exists(os.path.join(
            outdir, ".csvpack-staging")), what + ": staging left")
        return schema, listing

    def xmllint_schema(self, schema, docs, what):
        d = tempfile.mkdtemp(prefix="e2e-xsd-")
        try:
            with open(os.path.join(d, SCHEMA), "wb") as f:
                f.write(schema)
            files = []
            for i, (a, m, data) in enumerate(docs):
                fn = os.path.join(d, "%s-%s" % (a, m))
                with open(fn, "wb") as f:
                    f.write(data)
                files.append(fn)
            p = h.run(["xmllint", "--noout", "--schema",
                       os.path.join(d, SCHEMA)] + files, timeout=120)
            err = p.stderr.decode("utf-8", "replace")
            bad = [ln for ln in err.splitlines()
                   if not ln.endswith(" validates")]
            self.assertEqual((p.returncode, bad), (0, []),
                             "%s: xmllint --schema:\n%s\nschema:\n%s"
                             % (what, err[-3000:], schema.decode()))
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def printed_schema(self, opts, inp):
        p = h.converter("--schema", *opts, inp, cwd=self.dir, timeout=60)
        self.assertExit(p, 0, "csvpack-converter --schema")
        return p.stdout

    @NEEDS_CONVERTER
    def test_shapes(self):
        inputs = self.corpus()
        for what, opts in SHAPES:
            with self.subTest(shape=what):
                out = self.path("out-" + re.sub(r"\W+", "-", what))
                self.run_xsd(out, opts, inputs)
                self.check_schema_archives(
                    out, what, self.printed_schema(opts, inputs[0]))

    @NEEDS_CONVERTER
    def test_ragged(self):
        inputs = self.corpus(ragged=True)
        for what, opts in [("ragged", ["--ragged"]),
                           ("ragged nil", ["--ragged", "--null", "",
                                           "--attr", "note"])]:
            with self.subTest(shape=what):
                out = self.path("out-" + re.sub(r"\W+", "-", what))
                self.run_xsd(out, opts, inputs)
                self.check_schema_archives(
                    out, what, self.printed_schema(opts, inputs[0]))

    @NEEDS_CONVERTER
    def test_manifest_lists_schema_first(self):
        inputs = self.corpus()
        out = self.path("out")
        self.run_xsd(out, ["--manifest"], inputs)
        self.check_schema_archives(out, "--manifest")
        for i, a in enumerate(h.archive_names(out)):
            ms = members(os.path.join(out, a))
            self.assertEqual(ms[-1][0].name, SUMS, a)
            lines = ms[-1][1].decode().splitlines()
            self.assertEqual([ln[66:] for ln in lines],
                             [m.name for m, _ in ms[:-1]], a)
            self.assertEqual(lines[0][66:], SCHEMA, a)
            d = self.path("x%d" % i)
            os.makedirs(d)
            p = h.run(["tar", "-xzf", os.path.join(out, a), "-C", d])
            self.assertExit(p, 0, "tar -xzf")
            p = h.run(["sha256sum", "-c", SUMS], cwd=d)
            self.assertExit(p, 0, "sha256sum -c in " + a)
        p = h.verify(out, *inputs, cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stdout.decode()[-2000:])

    @NEEDS_OPTIONS
    def test_no_xsd_no_schema(self):
        inputs = self.corpus()
        out = self.path("out")
        p = self.csvpack("-q", "-o", out, "-b", "2", "-r", "3", *inputs)
        self.assertExit(p, 0)
        for a in h.archive_names(out):
            self.assertNotIn(SCHEMA, [m.name for m, _ in
                                      members(os.path.join(out, a))], a)

    @NEEDS_CONVERTER
    def test_other_columns_refused(self):
        inputs = self.corpus(2)
        other = self.path("other.csv")
        # The same cells, one renamed after naming: "name" twice gives
        # name, name_2; here the second is "name_3".
        write_input(other, HEADER[:3] + ["name_3"] + HEADER[4:], ROWS[:2])
        later = self.path("later.csv")
        write_input(later, HEADER, ROWS[:2])
        out = self.path("out")
        p = self.run_xsd(out, [], inputs + ["other.csv", "later.csv"],
                         code=65)
        err = p.stderr.decode("utf-8", "replace")
        self.assertIn("other.csv", err)
        self.assertIn("--xsd", err)
        self.check_schema_archives(out, "refused",
                                   self.printed_schema([], inputs[0]))
        sources = set()
        for a in h.archive_names(out):
            for m, data in members(os.path.join(out, a)):
                if h.MEMBER_RE.match(m.name):
                    sources.add(h.Doc(data).source)
        self.assertEqual(sources, set(inputs))

    @NEEDS_CONVERTER
    def test_crash_and_resume(self):
        # The input is a FIFO held open after 41 documents' rows: 20
        # archives stand, the 41st document waits in staging with the
        # schema when the whole pipeline is SIGKILLed.  The resumed run
        # reads the whole input from a regular file of the same name.
        def line(i):
            return '%d,"v,%d",%s\n' % (i, i, "x" * 30)
        header = "a,b,股票\n"
        big = self.path("big.csv")
        os.mkfifo(big)
        out = self.path("out")
        name = self.name("xsd")
        run = h.start([h.LAUNCHER, "--name", name, "-q", "-o", out, "-b",
                       "2", "-r", "500", "--xsd", "big.csv"], cwd=self.dir)
        staging = os.path.join(out, ".csvpack-staging")

        def staged():
            try:
                return [f for f in os.listdir(staging)
                        if h.MEMBER_RE.match(f)]
            except OSError:
                return []
        fd = os.open(big, os.O_WRONLY)
        try:
            data = (header + "".join(line(i) for i in range(20600)))
            view = memoryview(data.encode())
            while view:
                view = view[os.write(fd, view):]
            self.assertTrue(self.wait_for(
                lambda: os.path.isdir(out) and
                len(h.archive_names(out)) == 20 and len(staged()) == 1,
                30), "20 archives and a staged document not there in 30 s")
            self.assertTrue(os.path.exists(os.path.join(staging, SCHEMA)))
            run.kill_group()
            run.popen.wait()
            self.assertTrue(self.wait_for(
                lambda: not h.group_members(run.popen.pid), 5))
        finally:
            os.close(fd)
        os.unlink(big)
        with open(big, "w") as f:
            f.write(header + "".join(line(i) for i in range(30000)))
        p = self.csvpack("-q", "-o", out, "-b", "2", "-r", "500", "--xsd",
                         "--resume", "big.csv", name=name)
        self.assertExit(p, 0, "the resumed run")
        self.check_schema_archives(out, "resumed",
                                   self.printed_schema([], "big.csv"))
        v = h.verify(out, "big.csv", cwd=self.dir)
        self.assertEqual(v.returncode, 0, v.stdout.decode()[-2000:])

    @NEEDS_CONVERTER
    def test_pack_dir(self):
        inputs = self.corpus(2)
        src = self.path("src")
        os.makedirs(src)
        for i, inp in enumerate(inputs, 1):
            p = h.converter("--stdout", inp, cwd=self.dir)
            self.assertExit(p, 0)
            with open(os.path.join(src, "%06d.xml" % i), "wb") as f:
                f.write(p.stdout)
        schema = self.printed_schema([], inputs[0])
        with open(os.path.join(src, SCHEMA), "wb") as f:
            f.write(schema)
        out = self.path("out")
        p = h.packer("--dir", src, "-o", out, "-b", "1", "--xsd", "-q",
                     cwd=self.dir)
        self.assertExit(p, 0, "csvpack-packer --dir --xsd")
        for a in h.archive_names(out):
            ms = members(os.path.join(out, a))
            self.assertEqual([m.name for m, _ in ms][0], SCHEMA, a)
            self.assertEqual(ms[0][1], schema, a)
        self.assertEqual(len(h.archive_names(out)), 2)
        self.assertEqual(sorted(os.listdir(src)), [SCHEMA])

    @NEEDS_OPTIONS
    def test_pack_dir_without_schema(self):
        src = self.path("src")
        os.makedirs(src)
        with open(os.path.join(src, "000001.xml"), "wb") as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                    b'<table source="a.csv" sid="1">\n'
                    b'  <row line="2"><a>1</a></row>\n</table>\n')
        out = self.path("out")
        p = h.packer("--dir", src, "-o", out, "--xsd", "-q", cwd=self.dir)
        self.assertExit(p, 1, "csvpack-packer --dir --xsd, no schema")
        self.assertIn(SCHEMA, p.stderr.decode())
        self.assertEqual(h.archive_names(out), [])
        self.assertIn("000001.xml", os.listdir(src))


if __name__ == "__main__":
    unittest.main()
