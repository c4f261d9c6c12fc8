"""csvpack locate DIR INPUT:ROW (and --line): where a row was archived,
answered from the journal alone.

The truth is read from the archives with tarfile: the N-th data row of an
input is the N-th row across that input's documents in sid order, and the
physical lines a row spans come from Python's csv module on the input.
A run over three inputs (quoted multi-line fields, blank lines between
rows and inside quotes, CRLF, a lone CR inside quotes, blank lines before
the header and at the end, no final newline, a name with a colon in it)
with -r 7 -b 3; then every row of every input, and every physical line
of every input, is located and compared with that truth.  A line inside
a row gives the row's document; a blank line between two rows of one
document gives that document (it spans the line); the header, a blank
line between two documents and a line past the end are exit 1.  Then:
`-o DIR/` and --prefix (the path as the run printed it), stdin's "-",
a journal rewritten to the older form (rows still answer, --line says
why it cannot), rows only staged (a directory built by hand), the ghost
of an archive name and a row held twice, a hostile or damaged directory,
and usage errors (exit 2).
"""

import collections
import csv
import os
import random
import re
import shutil

import helpers as h

TIMEOUT = 30
OLD_D = re.compile(r"^D (\d+) (\d+) (\d+) \d+ \d+ (\S+)$")


def crafted(seed, nrows, eol, lead_blank=0, trail_blank=0, final_eol=True,
            lone_cr=False):
    """CSV text with multi-line quoted fields and blank lines here and
    there; header id,text,n."""
    rnd = random.Random(seed)
    lines = [""] * lead_blank + ["id,text,n"]
    for i in range(1, nrows + 1):
        k = rnd.random()
        if k < 0.2:
            text = '"multi %d%sline two%send"' % (i, eol, eol)
        elif k < 0.3:
            text = '"gap %d%s%sa blank line inside quotes"' % (i, eol, eol)
        elif lone_cr and k < 0.4:
            text = '"lone\rcr %d"' % i
        else:
            text = "t%d" % i
        lines.append("%d,%s,%d" % (i, text, rnd.randint(0, 999)))
        if rnd.random() < 0.35:
            lines.extend([""] * rnd.randint(1, 2))
    lines.extend([""] * trail_blank)
    return eol.join(lines) + (eol if final_eol else "")


def row_spans(path):
    """[(first line, last line)] of every data row of path, as Python's
    csv module reads it (blank lines skipped, still counted)."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f, strict=True)
        header = True
        while True:
            start = r.line_num + 1
            try:
                row = next(r)
            except StopIteration:
                return out
            if row == []:
                continue
            if header:
                header = False
                continue
            out.append((start, r.line_num))


def physical_lines(path):
    with open(path, "rb") as f:
        return len(f.read().splitlines())


def truth(outdir):
    """{input: [(archive, member, line)]}: every row, in sid order, read
    from the archives with tarfile."""
    where = collections.defaultdict(list)
    for aname, docs in h.read_archives(outdir):
        for d in docs:
            for line, _, _ in d.rows:
                where[d.source].append((aname, d.member.name, line))
    return where


class Locate(h.E2ECase):

    def locate(self, *args, cwd=None):
        return h.run([h.LAUNCHER, "locate"] + list(args),
                     cwd=cwd or self.dir, timeout=TIMEOUT)

    def assertFound(self, p, want, what):
        self.assertExit(p, 0, what)
        self.assertEqual(p.stdout.decode(), want, what)
        self.assertEqual(p.stderr, b"", what)

    def assertNot(self, p, code, *needles):
        what = " ".join(p.args[1:])
        self.assertExit(p, code, what)
        self.assertEqual(p.stdout, b"", what)
        err = p.stderr.decode("utf-8", "replace")
        for n in needles:
            self.assertIn(n, err, what)

    def run_three(self):
        """The three inputs, packed into out with -r 7 -b 3; returns
        {name: path} and the run's stdout lines."""
        inputs = {
            "a.csv": crafted(1, 45, "\n"),
            "part:7": crafted(2, 38, "\r\n", final_eol=False, lone_cr=True),
            "c d.csv": crafted(3, 30, "\n", lead_blank=2, trail_blank=3),
        }
        paths = {}
        for name, text in inputs.items():
            paths[name] = h.write_bytes(self.path(name), text)
        p = self.csvpack("-q", "-o", "out", "-r", "7", "-b", "3",
                         *inputs.keys())
        self.assertExit(p, 0)
        return paths, p.stdout.decode().splitlines()

    # -- every row, every line

    def test_every_row_and_every_line(self):
        paths, printed = self.run_three()
        where = truth(self.path("out"))
        self.assertEqual(sorted(where), sorted(paths))
        self.assertGreater(len(h.archive_names(self.path("out"))), 3)
        wrong = []
        kinds = collections.Counter()
        for name, path in paths.items():
            spans = row_spans(path)
            rows = where[name]
            self.assertEqual(len(rows), len(spans), name)
            self.assertEqual([r[2] for r in rows], [s[0] for s in spans],
                             "%s: the rows' line attributes are not where "
                             "Python's csv module starts them" % name)
            for n, (aname, member, _) in enumerate(rows, 1):
                want = "out/%s %s\n" % (aname, member)
                self.assertIn("out/" + aname, printed)
                p = self.locate("out", "%s:%d" % (name, n))
                if (p.returncode, p.stdout.decode(), p.stderr) != \
                        (0, want, b""):
                    wrong.append(("%s:%d" % (name, n), p.returncode,
                                  p.stdout, p.stderr, want))
            wrong += self.check_lines(name, path, spans, rows, kinds)
            past = self.locate("out", "%s:%d" % (name, len(rows) + 1))
            self.assertNot(past, 1, "%s:%d: not archived" % (name,
                           len(rows) + 1),
                           "archived rows of %s are 1-%d" % (name, len(rows)))
        self.assertEqual(wrong, [])
        # The run had each kind of line, or the test proves less.
        for kind in ("row start", "inside a row", "blank in a document",
                     "between documents", "header", "past the end"):
            self.assertGreater(kinds[kind], 0, kind)

    def check_lines(self, name, path, spans, rows, kinds):
        """--line for every physical line of path (and two past it); the
        list of wrong answers."""
        owner, docspan = {}, {}
        for (aname, member, _), (first, last) in zip(rows, spans):
            for line in range(first, last + 1):
                owner[line] = (aname, member)
            span = docspan.setdefault((aname, member), [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)
        starts = {first for first, _ in spans}
        total = physical_lines(path)
        wrong = []
        for line in range(1, total + 3):
            doc = owner.get(line)
            if doc:
                kind = "row start" if line in starts else "inside a row"
            else:
                inside = [d for d, (a, b) in docspan.items()
                          if a <= line <= b]
                doc = inside[0] if inside else None
                kind = ("blank in a document" if doc else
                        "header" if line < spans[0][0] else
                        "past the end" if line > total else
                        "between documents")
            kinds[kind] += 1
            target = "%s:%d" % (name, line)
            # --line before, between and after the other arguments.
            args = [["--line", "out", target], ["out", "--line", target],
                    ["out", target, "--line"]][line % 3]
            p = self.locate(*args)
            if doc:
                ok = (p.returncode, p.stdout.decode(), p.stderr) == \
                    (0, "out/%s %s\n" % doc, b"")
            else:
                ok = p.returncode == 1 and p.stdout == b"" and \
                    ("%s: line %d holds no archived row" % (target, line)) \
                    .encode() in p.stderr
            if not ok:
                wrong.append((kind, args, p.returncode, p.stdout, p.stderr,
                              doc))
        return wrong

    def test_names_split_at_the_last_colon(self):
        self.run_three()
        where = truth(self.path("out"))
        aname, member, _ = where["part:7"][2]
        self.assertFound(self.locate("out", "part:7:3"),
                         "out/%s %s\n" % (aname, member), "part:7:3")
        # "part:7" alone is row 7 of an input "part", which is not there.
        self.assertNot(self.locate("out", "part:7"), 1,
                       "part:7: not archived", "no document of input 'part'")
        self.assertNot(self.locate("out", "nope.csv:1"), 1,
                       "no document of input 'nope.csv'")
        # Names match exactly as the run named them.
        self.assertNot(self.locate("out", "./a.csv:1"), 1,
                       "no document of input './a.csv'")

    # -- the path as the run printed it

    def test_trailing_slash_and_prefix(self):
        h.write_csv(self.path("in.csv"), ["k", "v"],
                    h.random_rows(7, 23, 2))
        p = self.csvpack("-q", "-o", "out/", "--prefix", "P", "-r", "4",
                         "-b", "2", "in.csv")
        self.assertExit(p, 0)
        printed = p.stdout.decode().splitlines()
        self.assertTrue(all(s.startswith("out//P-") for s in printed),
                        printed)
        rows = truth(self.path("out"))["in.csv"]
        self.assertEqual(len(rows), 23)
        for n, (aname, member, _) in enumerate(rows, 1):
            self.assertTrue(aname.startswith("P-"), aname)
            p = self.locate("out/", "in.csv:%d" % n)
            self.assertFound(p, "out//%s %s\n" % (aname, member), n)
            self.assertIn(p.stdout.decode().split(" ")[0], printed)
            self.assertFound(self.locate("out", "in.csv:%d" % n),
                             "out/%s %s\n" % (aname, member), n)

    def test_stdin(self):
        text = crafted(5, 12, "\n")
        h.write_bytes(self.path("in.csv"), text)
        p = self.csvpack("-q", "-o", "out", "-r", "3", "-", input=text)
        self.assertExit(p, 0)
        rows = truth(self.path("out"))["-"]
        spans = row_spans(self.path("in.csv"))
        self.assertEqual(len(rows), 12)
        for n, ((aname, member, _), (first, last)) in \
                enumerate(zip(rows, spans), 1):
            want = "out/%s %s\n" % (aname, member)
            self.assertFound(self.locate("out", "-:%d" % n), want, n)
            self.assertFound(self.locate("--line", "out", "-:%d" % last),
                             want, n)
        self.assertNot(self.locate("out", "in.csv:1"), 1,
                       "no document of input 'in.csv'")

    # -- the older journal

    def test_older_journal_rows_only(self):
        h.write_csv(self.path("in.csv"), ["k", "v"],
                    h.random_rows(9, 20, 2))
        p = self.csvpack("-q", "-o", "out", "-r", "4", "-b", "2", "in.csv")
        self.assertExit(p, 0)
        spans = row_spans(self.path("in.csv"))
        before = [self.locate("out", "in.csv:%d" % n).stdout
                  for n in range(1, 21)]
        self.assertTrue(all(b.startswith(b"out/0000") for b in before))
        journal = self.path("out", h.JOURNAL)
        with open(journal) as f:
            text = f.read()
        # The first group keeps its lines, the others lose them.
        first_end = text.index("E\n") + 2
        old = text[:first_end] + "\n".join(
            OLD_D.sub(r"D \1 \2 \3 \4", line)
            for line in text[first_end:].split("\n"))
        self.assertNotEqual(old, text)
        with open(journal, "w") as f:
            f.write(old)
        for n in range(1, 21):
            self.assertFound(self.locate("out", "in.csv:%d" % n),
                             before[n - 1].decode(), n)
        # A line of the first group's documents: found; of the others:
        # exit 1, saying why.
        self.assertFound(self.locate("--line", "out",
                                     "in.csv:%d" % spans[0][0]),
                         before[0].decode(), "line of row 1")
        self.assertNot(self.locate("--line", "out",
                                   "in.csv:%d" % spans[19][0]), 1,
                       "predate line numbers")
        # Every group old: --line cannot tell, and says to use ROW.
        with open(journal, "w") as f:
            f.write("\n".join(OLD_D.sub(r"D \1 \2 \3 \4", line)
                              for line in text.split("\n")))
        for first, _ in spans:
            self.assertNot(self.locate("out", "in.csv:%d" % first,
                                       "--line"), 1,
                           "predate line numbers", "use in.csv:ROW")
        self.assertFound(self.locate("out", "in.csv:20"),
                         before[19].decode(), "row 20, old journal")

    # -- staged, ghosts, twice

    def write_owned(self, path, text, mode=0o644):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def stage(self, out, sid, first, last, first_line, last_line,
              source="in.csv"):
        """A staged document and its meta, written by hand."""
        staging = os.path.join(out, ".csvpack-staging")
        os.makedirs(staging, exist_ok=True)
        os.chmod(staging, 0o755)
        rows = "".join('  <row line="%d"><k>%d</k></row>\n' % (first_line, r)
                       for r in range(first, last + 1))
        self.write_owned(os.path.join(staging, "%06d.xml" % sid),
                         '<?xml version="1.0" encoding="UTF-8"?>\n<table '
                         'source="%s" sid="%d">\n%s</table>\n'
                         % (source, sid, rows))
        self.write_owned(os.path.join(staging, "%06d.meta" % sid),
                         "%d %d %d %d %d %s\n" % (sid, first, last,
                                                  first_line, last_line,
                                                  source))

    def test_staged_rows(self):
        out = self.path("out")
        os.makedirs(out)
        # Nothing archived yet, one document staged.
        self.stage(out, 1, 1, 3, 2, 4)
        for args in (["out", "in.csv:2"], ["out", "in.csv:3", "--line"]):
            self.assertNot(self.locate(*args), 1, "not archived yet: "
                           "staged in out/.csvpack-staging/000001.xml")
        self.assertNot(self.locate("out", "in.csv:4"), 1,
                       "in.csv:4: not archived",
                       "out/.csvpack-journal records no archive")
        # Archive 000001.tgz moved on (not in out): the journal still
        # says where its rows went.  000002.tgz's group was written, the
        # archive never took its name and its document is staged (a
        # crash before the rename).  Document 3 is staged only.
        shutil.rmtree(os.path.join(out, ".csvpack-staging"))
        self.write_owned(os.path.join(out, h.JOURNAL),
                         "B 000001.tgz\nD 1 1 3 2 4 in.csv\nE\n"
                         "B 000002.tgz\nD 2 4 6 5 7 in.csv\nE\n")
        self.stage(out, 2, 4, 6, 5, 7)
        self.stage(out, 3, 7, 9, 8, 10)
        self.assertFound(self.locate("out", "in.csv:2"),
                         "out/000001.tgz 000001.xml\n", "moved on")
        self.assertNot(self.locate("out", "in.csv:5"), 1,
                       "in.csv:5: not archived yet: staged in "
                       "out/.csvpack-staging/000002.xml")
        self.assertNot(self.locate("out", "in.csv:8"), 1,
                       "staged in out/.csvpack-staging/000003.xml")
        self.assertNot(self.locate("--line", "out", "in.csv:10"), 1,
                       "staged in out/.csvpack-staging/000003.xml")
        self.assertNot(self.locate("out", "in.csv:10"), 1,
                       "in.csv:10: not archived",
                       "archived rows of in.csv are 1-6")
        # Staging that others may write to is not read.
        os.chmod(os.path.join(out, ".csvpack-staging"), 0o777)
        self.assertNot(self.locate("out", "in.csv:8"), 1,
                       ".csvpack-staging: refused: writable by its group "
                       "or others", "in.csv:8: not archived")
        # A row whose archive is not there: staging would tell whether
        # it is pending; refused, it cannot.
        self.assertNot(self.locate("out", "in.csv:2"), 1,
                       ".csvpack-staging: refused")
        # A row whose archive is there needs no staging.
        self.write_owned(os.path.join(out, "000001.tgz"), "")
        self.assertFound(self.locate("out", "in.csv:2"),
                         "out/000001.tgz 000001.xml\n", "refused staging")

    def test_latest_group_counts_and_rows_held_twice(self):
        out = self.path("out")
        os.makedirs(out)
        self.write_owned(os.path.join(out, h.JOURNAL),
                         # A ghost of 000001.tgz, then the real group.
                         "B 000001.tgz\nD 5 1 3 2 4 in.csv\nE\n"
                         "B 000001.tgz\nD 1 1 2 2 3 in.csv\nE\n"
                         # Rows 4-5 in two archives: damaged.
                         "B 000002.tgz\nD 2 3 5 4 6 in.csv\nE\n"
                         "B 000003.tgz\nD 3 4 6 5 7 in.csv\nE\n"
                         # Of unknown origin (packer --dir's): no rows.
                         "B 000005.tgz\nD 6 0 0 0 0 in.csv\nE\n"
                         # A torn group counts for nothing.
                         "B 000004.tgz\nD 4 7 9 8 10 in.csv\n")
        self.assertFound(self.locate("out", "in.csv:1"),
                         "out/000001.tgz 000001.xml\n", "ghost")
        self.assertFound(self.locate("out", "in.csv:3"),
                         "out/000002.tgz 000002.xml\n", "ghost's row 3")
        for args in (["out", "in.csv:4"], ["--line", "out", "in.csv:6"]):
            p = self.locate(*args)
            self.assertExit(p, 0, args)
            self.assertEqual(p.stdout.decode(),
                             "out/000002.tgz 000002.xml\n"
                             "out/000003.tgz 000003.xml\n", args)
            self.assertIn(b"held by 2 documents", p.stderr)
            self.assertIn(b"csvpack verify out says more", p.stderr)
        self.assertNot(self.locate("out", "in.csv:7"), 1,
                       "archived rows of in.csv are 1-6")
        self.assertNot(self.locate("--line", "out", "in.csv:8"), 1,
                       "the archived rows of in.csv end on line 7")
        self.assertNotIn(b"predate", self.locate("--line", "out",
                                                 "in.csv:8").stderr)

    # -- a directory that is not what it should be

    def test_directory_problems(self):
        self.assertNot(self.locate("nope", "in.csv:1"), 1,
                       "nope: No such file or directory")
        self.write_owned(self.path("file"), "x")
        self.assertNot(self.locate("file", "in.csv:1"), 1,
                       "file: Not a directory")
        out = self.path("out")
        os.makedirs(out)
        journal = os.path.join(out, h.JOURNAL)
        self.write_owned(self.path("elsewhere"),
                         "B 000001.tgz\nD 1 1 2 2 3 in.csv\nE\n")
        os.symlink(self.path("elsewhere"), journal)
        self.assertNot(self.locate("out", "in.csv:1"), 1,
                       "out/.csvpack-journal: refused: it is a symbolic "
                       "link")
        os.unlink(journal)
        self.write_owned(journal, "B 000001.tgz\nD 1 1 2 2 3 in.csv\nE\n",
                         0o666)
        self.assertNot(self.locate("out", "in.csv:1"), 1,
                       "refused: writable by its group or others")
        self.write_owned(journal, "B 000001.tgz\nX what\nE\n")
        self.assertNot(self.locate("out", "in.csv:1"), 1,
                       "out/.csvpack-journal:2: not a journal line")
        self.write_owned(journal, "B 000001.tgz\nD 1 1 2 2 3 in.csv\nE\n")
        self.assertFound(self.locate("out", "in.csv:1"),
                         "out/000001.tgz 000001.xml\n", "repaired")

    # -- usage

    def test_usage_errors(self):
        out = self.path("out")
        os.makedirs(out)
        self.write_owned(os.path.join(out, h.JOURNAL),
                         "B 000001.tgz\nD 1 1 2 2 3 in.csv\nE\n")
        shutil.copytree(out, self.path("-d"))
        # The same directory answers when asked rightly.
        self.assertFound(self.locate("out", "in.csv:1"),
                         "out/000001.tgz 000001.xml\n", "control")
        self.assertFound(self.locate("--", "-d", "in.csv:2"),
                         "-d/000001.tgz 000001.xml\n", "-- then -d")
        bad = [[], ["out"], ["--line", "out"], ["out", "in.csv:1", "x"],
               ["out", "in.csv"], ["out", ":1"], ["out", "in.csv:"],
               ["out", "in.csv:x"], ["out", "in.csv:-1"],
               ["out", "in.csv:+1"], ["out", "in.csv:1.5"],
               ["out", "in.csv: 1"], ["out", "in.csv:0"],
               ["--line", "out", "in.csv:0"],
               ["out", "in.csv:99999999999999999999999"],
               ["--bogus", "out", "in.csv:1"], ["out", "in.csv:1", "-x"],
               ["--line=3", "out", "in.csv:1"], ["-d", "in.csv:1"]]
        for args in bad:
            self.assertNot(self.locate(*args), 2,
                           "usage: csvpack locate [--line] DIR INPUT:ROW")
        self.assertNot(self.locate("out", "in.csv:0"), 2,
                       "in.csv:0: ROW is not a positive integer")
        self.assertNot(self.locate("--frob", "out", "in.csv:1"), 2,
                       "unknown option '--frob'")
        p = self.locate("--help")
        self.assertExit(p, 0)
        self.assertEqual(p.stdout,
                         b"usage: csvpack locate [--line] DIR INPUT:ROW\n")
