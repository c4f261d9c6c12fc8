"""csvpack verify DIR [INPUT...]: proving a delivery complete.

A real run (three inputs, -r 5 -b 3: quoted multi-line values, CR LF in a
value, non-ASCII, a CRLF input) makes 4 archives of 3 documents:

    000001.tgz  000001-000003.xml  in1.csv rows  1-15
    000002.tgz  000004-000006.xml  in1.csv rows 16-30
    000003.tgz  000007-000009.xml  in1.csv rows 31-45
    000004.tgz  000010-000011.xml  in2.csv rows  1-7, 000012.xml in3.csv 1-4

(checked against the journal before any test relies on it).  verify finds
it all good, alone and given the inputs; then each test damages it one
way - the archive's bytes (gzip, tar header, a document's text), the set
of archives, the journal, staging, the inputs, a --manifest archive - and
verify must exit 1, print a problem line naming what is wrong, and count
exactly the lines it printed in its summary.  Every damage is made so that
only the layer under test is wrong (a recompressed gzip stream is valid, a
tar header checksum is recomputed...), and a control test checks that
such a rewrite alone is not a problem.

Problems are looked for by their key parts (what is named, the key
words), not word for word.  DIR is given as "out", inputs as the run named
them, from the run's directory.
"""

import gzip
import io
import os
import re
import shutil
import tarfile
import zlib

import helpers as h

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
SUMS = "SHA256SUMS"
STAGING = ".csvpack-staging"
INPUTS = ["in1.csv", "in2.csv", "in3.csv"]

NAMES = ["Zoë", "股票代码", "naïve café", "plain", "emoji 😀"]


def in1_rows(n=45):
    rows = []
    for i in range(1, n + 1):
        if i % 4 == 0:
            note = "first line\nsecond line %d" % i
        elif i % 6 == 1:
            note = 'say "hi", %d' % i
        elif i % 9 == 0:
            note = "cr lf\r\ninside %d" % i
        else:
            note = "n%d <&> %d" % (i, i * 7)
        rows.append(["r%02d" % i, "%s %d" % (NAMES[i % 5], i), note])
    return rows


def in2_rows():
    return [["é%d" % i, "<tag & %d>" % i] for i in range(1, 8)]


def in3_rows():
    return [["k%d" % i, "v,%d" % i] for i in range(1, 5)]


# ------------------------------------------------------------ tar, by hand

def tar_headers(tar):
    """[(header offset, name, size)] of a tar stream's members."""
    out, off = [], 0
    while off + 512 <= len(tar) and tar[off:off + 512] != bytes(512):
        hdr = tar[off:off + 512]
        name = hdr[:100].rstrip(b"\0").decode()
        size = int(hdr[124:136].rstrip(b"\0 ").decode() or "0", 8)
        out.append((off, name, size))
        off += 512 + (size + 511) // 512 * 512
    return out


def fix_checksum(tar, off):
    """Recomputes the ustar checksum of the header at off (in place)."""
    hdr = tar[off:off + 512]
    hdr[148:156] = b" " * 8
    tar[off + 148:off + 156] = b"%06o\0 " % sum(hdr)


def member_data(tar, name):
    """(offset, size) of member name's data in a tar stream."""
    for off, n, size in tar_headers(tar):
        if n == name:
            return off + 512, size
    raise AssertionError("no member %s in %r" % (name, tar_headers(tar)))


class VerifyCase(h.E2ECase):

    # -- the run

    def make_inputs(self, n1=45):
        h.write_csv(self.path("in1.csv"), ["id", "name", "note"],
                    in1_rows(n1))
        h.write_csv(self.path("in2.csv"), ["x", "y"], in2_rows(),
                    lineterminator="\r\n")
        h.write_csv(self.path("in3.csv"), ["k", "v"], in3_rows())
        return list(INPUTS)

    def pack(self, *extra, out="out"):
        """The run every test damages; checks its layout (the docstring's
        table) from the journal."""
        self.make_inputs()
        p = self.csvpack("-q", "-o", out, "-r", "5", "-b", "3", *extra,
                         *INPUTS, env=EPOCH)
        self.assertExit(p, 0)
        groups = h.journal_groups(self.path(out))
        self.assertEqual(
            [(a, [(d[0], d[1], d[2], d[5]) for d in docs])
             for a, docs in groups],
            [("000001.tgz", [(1, 1, 5, "in1.csv"), (2, 6, 10, "in1.csv"),
                             (3, 11, 15, "in1.csv")]),
             ("000002.tgz", [(4, 16, 20, "in1.csv"), (5, 21, 25, "in1.csv"),
                             (6, 26, 30, "in1.csv")]),
             ("000003.tgz", [(7, 31, 35, "in1.csv"), (8, 36, 40, "in1.csv"),
                             (9, 41, 45, "in1.csv")]),
             ("000004.tgz", [(10, 1, 5, "in2.csv"), (11, 6, 7, "in2.csv"),
                             (12, 1, 4, "in3.csv")])],
            "the run's layout is not the one the tests assume")
        return self.path(out)

    def line_of(self, name, row):
        """The physical line where data row `row` of input name starts."""
        return h.read_csv_rows(self.path(name))[row - 1][0]

    # -- verify

    def verify(self, *args, **kw):
        kw.setdefault("cwd", self.dir)
        kw.setdefault("timeout", 60)
        return h.verify(*args, **kw)

    def assertVerified(self, p, archives=4, docs=12, rows=56, inputs=3,
                       compared=None):
        """Exit 0, nothing on stdout, the summary "OK" with these counts
        (None: any); inputs counts those of the journal, compared those
        given."""
        self.assertEqual((p.returncode, p.stdout.decode("utf-8", "replace")),
                         (0, ""), "verify %s: stderr: %s"
                         % (" ".join(p.args[2:]),
                            p.stderr.decode("utf-8", "replace")[-2000:]))
        self.assertIn(b"OK", p.stderr)
        got = h.verify_summary(p)
        self.assertIsNotNone(got, "no summary: %r" % p.stderr)
        want = (archives, docs, rows, inputs, 0)
        self.assertEqual(tuple(g if w is not None else None
                               for g, w in zip(got, want)), want, p.stderr)
        if compared is None:      # without options: the args after DIR
            compared = len(p.args) - 3
        self.assertEqual(h.verify_compared(p), compared, p.stderr)

    def problems(self, p, *patterns, code=1, dirs=("out",), inputs=INPUTS):
        """verify found problems: exit code, one line per problem on stdout
        (each naming DIR or an input), the summary counting them; every
        pattern (a regex) matches one of the lines.  Returns the lines."""
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        lines = out.splitlines()
        self.assertEqual(p.returncode, code, "verify %s: exit %d, expected "
                         "%d\nstdout:\n%s\nstderr: %s"
                         % (" ".join(p.args[2:]), p.returncode, code,
                            out[:4000], err[-2000:]))
        self.assertTrue(lines, "exit %d but no problem on stdout; stderr: %s"
                        % (p.returncode, err[-2000:]))
        self.assertTrue(out.endswith("\n"), repr(out[-200:]))
        heads = tuple(d + c for d in dirs for c in "/: ") + \
            tuple(i + ":" for i in inputs)
        for line in lines:
            self.assertTrue(line.startswith(heads),
                            "a problem line names neither the directory "
                            "nor an input: %r\nall:\n%s" % (line, out[:4000]))
        summary = h.verify_summary(p)
        self.assertIsNotNone(summary, "no summary on stderr: %r" % err)
        self.assertEqual(summary[4], len(lines),
                         "the summary counts %d problems, stdout has %d "
                         "lines:\n%s\nstderr: %s"
                         % (summary[4], len(lines), out[:4000], err[-1000:]))
        self.assertNotIn(": OK", err)
        for pat in patterns:
            self.assertTrue(any(re.search(pat, line) for line in lines),
                            "no problem line matches %r; verify printed:\n%s"
                            % (pat, out[:4000]))
        return lines

    # -- damage

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)

    def tar_of(self, archive):
        return bytearray(gzip.decompress(self.read(archive)))

    def put_tar(self, archive, tar):
        self.write(archive, gzip.compress(bytes(tar), mtime=0))

    def edit_journal(self, fn):
        """Rewrites out's journal: fn(list of lines without LF) -> lines."""
        j = self.path("out", h.JOURNAL)
        lines = self.read(j).decode().split("\n")
        self.assertEqual(lines[-1], "")
        self.write(j, "\n".join(fn(lines[:-1]) + [""]).encode())

    def rebuild(self, members):
        """A ustar stream of [(name, TarInfo to take mode and mtime from,
        bytes)] made by tarfile."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w",
                          format=tarfile.USTAR_FORMAT) as tf:
            for name, m, data in members:
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), m.mode, m.mtime
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tf.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def change_value(self, archive, member, old, new):
        """Changes bytes old to new (same length) in member's data, in
        place in the tar stream: the tar header and its checksum stay
        right, and the gzip stream is made anew (valid)."""
        self.assertEqual(len(old), len(new))
        tar = self.tar_of(archive)
        off, size = member_data(tar, member)
        data = bytes(tar[off:off + size])
        self.assertEqual(data.count(old), 1, (old, data))
        i = off + data.index(old)
        tar[i:i + len(old)] = new
        self.put_tar(archive, tar)
        return data


# ---------------------------------------------------------------- all good


class Good(VerifyCase):

    def test_a_run_verifies(self):
        out = self.pack()
        self.assertVerified(self.verify("out"))
        self.assertVerified(self.verify("out", *INPUTS))
        # An absolute DIR, and inputs named another way than the run did:
        # the rows are then in no archive (inputs go by name).
        self.assertVerified(self.verify(out, *INPUTS))
        p = self.verify("out", "./in3.csv")
        self.problems(p, r"^\./in3\.csv:2: rows 1-4 are in no archive",
                      inputs=["./in3.csv"])
        # A subset of the inputs is fine.
        self.assertVerified(self.verify("out", "in2.csv"), compared=1)

    def test_rewritten_archives_still_verify(self):
        """The controls of the damage tests: recompressing an archive's
        tar stream with Python's gzip, rebuilding the tar with tarfile
        (names, modes, mtimes kept), and recomputing a checksum that was
        right, are no damage."""
        out = self.pack()
        a1, a2 = os.path.join(out, "000001.tgz"), os.path.join(out,
                                                               "000002.tgz")
        self.put_tar(a1, self.tar_of(a1))
        tar = self.tar_of(a2)
        before = bytes(tar)
        for off, _, _ in tar_headers(tar):
            fix_checksum(tar, off)
        self.assertEqual(bytes(tar), before)
        with tarfile.open(a2, "r:gz") as tf:
            ms = [(m.name, m, tf.extractfile(m).read())
                  for m in tf.getmembers()]
        self.write(a2, gzip.compress(self.rebuild(ms), mtime=0))
        self.assertVerified(self.verify("out", *INPUTS))

    def test_dialect_options(self):
        """verify reads the inputs with the run's dialect: -d, --no-header,
        --encoding, --ragged.  Without them, it finds other rows (or bad
        CSV, exit 65)."""
        h.write_bytes(self.path("semi.csv"), "a;b;c\n1;xy;ü\n2;;\n"
                      .encode())
        h.write_bytes(self.path("nohdr.csv"), b"p,q\nr,s\n")
        h.write_bytes(self.path("latin.csv"), "n,v\n1,caf\xe9\n2,\xfc\n"
                      .encode("latin-1"))
        h.write_bytes(self.path("ragged.csv"), b"a,b,c\n1\n2,3,4,5\n6,7,8\n")
        cases = [("semi", ["-d", ";"], "semi.csv", 2),
                 ("nohdr", ["--no-header"], "nohdr.csv", 2),
                 ("latin", ["--encoding", "latin1"], "latin.csv", 2),
                 ("ragged", ["--ragged"], "ragged.csv", 3)]
        for out, dialect, name, nrows in cases:
            with self.subTest(dialect=dialect):
                p = self.csvpack("-q", "-o", out, *dialect, name)
                self.assertExit(p, 0)
                self.assertVerified(self.verify(*dialect, out, name),
                                    archives=1, docs=1, rows=nrows, inputs=1,
                                    compared=1)
                self.assertVerified(self.verify(out), archives=1, docs=1,
                                    rows=nrows, inputs=1)
        # Without the run's dialect, verify does not see the run's rows.
        p = self.verify("semi", "semi.csv")
        self.problems(p, r"^semi\.csv:2: row 1 has 1 fields?, semi/000001\.tgz "
                      r"000001\.xml row 1 has 3\b", dirs=["semi"],
                      inputs=["semi.csv"])
        p = self.verify("nohdr", "nohdr.csv")
        self.problems(p, r"^nohdr\.csv: nohdr/000001\.tgz 000001\.xml holds "
                      r"rows 2-2, the input has 1 rows?", dirs=["nohdr"],
                      inputs=["nohdr.csv"])
        p = self.verify("latin", "latin.csv")
        self.assertExit(p, 65, "verify latin latin.csv (not UTF-8)")
        self.assertIn("latin.csv:2:", p.stderr.decode("utf-8", "replace"))
        p = self.verify("ragged", "ragged.csv")
        self.assertExit(p, 65, "verify ragged ragged.csv (without --ragged)")
        self.assertIn("ragged.csv:2:", p.stderr.decode("utf-8", "replace"))

    def test_manifest_run_verifies_and_sha256sum_agrees(self):
        out = self.pack("--manifest")
        self.assertVerified(self.verify("out"))
        self.assertVerified(self.verify("out", *INPUTS))
        for a in h.archive_names(out):
            d = self.path("x-" + a)
            os.makedirs(d)
            p = h.run(["tar", "-xzf", os.path.join(out, a), "-C", d],
                      timeout=60)
            self.assertExit(p, 0)
            p = h.run(["sha256sum", "-c", SUMS], cwd=d, timeout=60)
            self.assertExit(p, 0, "sha256sum -c in " + a)
            self.assertEqual(p.stdout.decode().count(": OK\n"),
                             len(os.listdir(d)) - 1)

    def test_resumed_run_verifies(self):
        """Ghost groups (a crash between journal and rename) do not count:
        the latest group of a name does."""
        out = self.pack()
        # The ghost of 000004.tgz from an earlier, crashed attempt (it
        # packed fewer documents): superseded by the later, real group.
        self.edit_journal(lambda ls: ls[:15] + [
            "B 000004.tgz", "D 10 1 5 2 6 in2.csv", "E"] + ls[15:])
        self.assertVerified(self.verify("out", *INPUTS))
        self.assertEqual(h.archive_names(out),
                         ["%06d.tgz" % i for i in range(1, 5)])


# ---------------------------------------------------------------- archives


class ArchiveDamage(VerifyCase):

    def test_truncated_archive(self):
        out = self.pack()
        a2 = os.path.join(out, "000002.tgz")
        whole = self.read(a2)
        for what, cut in (("at half", whole[:len(whole) // 2]),
                          ("by 1 byte", whole[:-1])):
            with self.subTest(what):
                self.write(a2, cut)
                self.problems(self.verify("out"),
                              r"^out/000002\.tgz: gzip: .*cut short")
                self.problems(self.verify("out", *INPUTS),
                              r"^out/000002\.tgz: gzip: .*cut short")
        self.write(a2, whole)
        self.assertVerified(self.verify("out"))

    def test_flipped_byte_in_the_gzip_stream(self):
        out = self.pack()
        a2 = os.path.join(out, "000002.tgz")
        whole = self.read(a2)
        # The first byte from the middle of the deflate data on whose flip
        # zlib itself reports an error (every one of them is damage; some
        # flips make a stream that ends early or late, not tested here).
        for i in range(len(whole) // 2, len(whole) - 8):
            bad = bytearray(whole)
            bad[i] ^= 0xff
            try:
                zlib.decompressobj(wbits=31).decompress(bytes(bad))
            except zlib.error as e:
                why = str(e).split("data: ", 1)[-1]
                break
        else:
            self.fail("no flip makes zlib complain")
        self.write(a2, bytes(bad))
        lines = self.problems(self.verify("out"), r"^out/000002\.tgz: gzip: ")
        gz = [ln for ln in lines if ln.startswith("out/000002.tgz: gzip: ")]
        self.assertTrue(any(why in ln or "CRC" in ln for ln in gz),
                        "zlib says %r (flip at %d of %d), verify: %r"
                        % (why, i, len(whole), gz))

    def test_flipped_byte_in_a_tar_header(self):
        out = self.pack()
        a2 = os.path.join(out, "000002.tgz")
        tar0 = self.tar_of(a2)
        off, name, _ = tar_headers(tar0)[1]
        self.assertEqual(name, "000005.xml")
        for what, at in (("name", 0), ("size", 124 + 6)):
            with self.subTest(what):
                tar = bytearray(tar0)
                tar[off + at] ^= 0x01
                self.put_tar(a2, tar)
                self.problems(self.verify("out"),
                              r"^out/000002\.tgz: tar: .*checksum")

    def test_member_renamed_with_a_right_checksum(self):
        """A well-made tar whose 2nd member is not what the journal lists."""
        out = self.pack()
        a2 = os.path.join(out, "000002.tgz")
        tar = self.tar_of(a2)
        off, _, _ = tar_headers(tar)[1]
        tar[off:off + 10] = b"000099.xml"
        fix_checksum(tar, off)
        self.put_tar(a2, tar)
        with tarfile.open(a2, "r:gz") as tf:
            self.assertEqual(tf.getnames(), ["000004.xml", "000099.xml",
                                             "000006.xml"])
        self.problems(self.verify("out"),
                      r"^out/000002\.tgz\b.*000099\.xml.*journal")

    def test_members_out_of_order(self):
        """000004.xml and 000005.xml swapped (a well-made tar): the
        archive holds every document the journal lists, in another order;
        the problem is the order, and nothing is said to be missing."""
        out = self.pack()
        a2 = os.path.join(out, "000002.tgz")
        with tarfile.open(a2, "r:gz") as tf:
            ms = [(m.name, m, tf.extractfile(m).read())
                  for m in tf.getmembers()]
        self.write(a2, gzip.compress(self.rebuild([ms[1], ms[0], ms[2]]),
                                     mtime=0))
        with tarfile.open(a2, "r:gz") as tf:
            self.assertEqual(tf.getnames(), ["000005.xml", "000004.xml",
                                             "000006.xml"])
        lines = self.problems(self.verify("out"),
                              r"^out/000002\.tgz\b.*00000[45]\.xml")
        wrong = [ln for ln in lines if "does not hold" in ln or
                 "not in the journal" in ln or "in no archive" in ln]
        self.assertEqual(wrong, [], "verify says an archive lacks "
                         "documents it holds, or rows it holds are in none; "
                         "all:\n" + "\n".join(lines))

    def rename_element(self, archive, member, start, new_start, end,
                       new_end):
        """Changes the start tag `start` and the first end tag `end`
        after it (same sizes) in member's data, in place (see
        change_value)."""
        tar = self.tar_of(archive)
        off, size = member_data(tar, member)
        doc = bytes(tar[off:off + size])
        self.assertEqual(doc.count(start), 1, start)
        i = doc.index(start)
        j = doc.index(end, i)
        tar[off + i:off + i + len(start)] = new_start
        tar[off + j:off + j + len(end)] = new_end
        self.put_tar(archive, tar)

    def test_element_names(self):
        """An element renamed (the same size; gzip, tar and XML right):
        the root and row elements are csvpack's ("table", "row"), the
        field elements are named from the input's header."""
        out = self.pack()
        a1 = os.path.join(out, "000001.tgz")
        whole = self.read(a1)
        for what, tags in (
                ("root", (b"<table ", b"<tablX ", b"</table>", b"</tablX>")),
                ("row", (b'<row line="8">', b'<rox line="8">', b"</row>",
                         b"</rox>"))):
            with self.subTest(element=what):
                self.write(a1, whole)
                self.rename_element(a1, "000002.xml", *tags)
                h.gzip_test([a1])
                self.problems(self.verify("out"),
                              r"^out/000001\.tgz 000002\.xml: ")
        with self.subTest(element="field"):
            self.write(a1, whole)
            self.change_value(a1, "000002.xml", b"<id>r07</id>",
                              b"<ix>r07</ix>")
            lines = self.problems(self.verify("out", *INPUTS))
            self.assertTrue(any("000002.xml" in ln and "ix" in ln
                                for ln in lines), lines)

    def test_document_not_well_formed(self):
        """A '<' of a document changed: gzip and tar are right, the XML is
        not."""
        out = self.pack()
        a1 = os.path.join(out, "000001.tgz")
        data = self.change_value(a1, "000002.xml", b"<id>r07</id>",
                                 b"<id>r07&/id>")
        line = data[:data.index(b"<id>r07<")].count(b"\n") + 1
        self.problems(self.verify("out"),
                      r"^out/000001\.tgz 000002\.xml: line %d: " % line)

    def test_changed_value_is_seen_against_the_inputs(self):
        """A value changed in place (the same size; gzip and tar right, the
        XML well-formed): the archives agree with themselves and the
        journal, only the inputs show it."""
        out = self.pack()
        a1 = os.path.join(out, "000001.tgz")
        self.change_value(a1, "000002.xml", b"<id>r07</id>",
                          b"<id>rX7</id>")
        h.gzip_test([a1])
        self.assertVerified(self.verify("out"))
        self.problems(self.verify("out", *INPUTS),
                      r"^in1\.csv:%d: row 7 .*out/000001\.tgz 000002\.xml "
                      r"row 2\b.*field 1 \(id\).*\"r07\".*\"rX7\""
                      % self.line_of("in1.csv", 7))

    def test_two_damaged_archives_both_reported(self):
        out = self.pack()
        a1 = os.path.join(out, "000001.tgz")
        a3 = os.path.join(out, "000003.tgz")
        self.write(a1, self.read(a1)[:100])
        tar = self.tar_of(a3)
        off, _, _ = tar_headers(tar)[2]
        tar[off + 3] ^= 0x20
        self.put_tar(a3, tar)
        for args in (["out"], ["out"] + INPUTS):
            with self.subTest(args=args):
                lines = self.problems(self.verify(*args),
                                      r"^out/000001\.tgz: gzip: ",
                                      r"^out/000003\.tgz: tar: .*checksum")
                self.assertGreaterEqual(len(lines), 2)


# ------------------------------------------------- the set of archives


class ArchiveSet(VerifyCase):

    def test_archive_deleted(self):
        out = self.pack()
        os.unlink(os.path.join(out, "000002.tgz"))
        self.problems(self.verify("out"),
                      r"^out/000002\.tgz: missing: .*journal lists it")
        # Against the inputs, its rows are in no archive.
        self.problems(self.verify("out", *INPUTS),
                      r"^out/000002\.tgz: missing: .*journal lists it",
                      r"^in1\.csv:%d: rows 16-30 are in no archive"
                      % self.line_of("in1.csv", 16))

    def test_archive_renamed(self):
        out = self.pack()
        os.rename(os.path.join(out, "000002.tgz"),
                  os.path.join(out, "000009.tgz"))
        self.problems(self.verify("out"),
                      r"^out/000002\.tgz: missing: .*journal lists it",
                      r"^out/000009\.tgz: not in the journal",
                      r"^out: no archives? 00000[5-8]\.tgz\b.*between "
                      r"000004\.tgz and 000009\.tgz")

    def test_archive_duplicated_under_another_number(self):
        out = self.pack()
        shutil.copyfile(os.path.join(out, "000002.tgz"),
                        os.path.join(out, "000005.tgz"))
        self.problems(self.verify("out"),
                      r"^out/000005\.tgz: not in the journal")

    def test_lost_rows_at_the_end_of_an_input(self):
        """The rows of a lost archive are in no archive wherever they
        stand in their input: at its end as well as in its middle (the
        journal says what they were)."""
        out = self.pack()
        keep = self.path("keep")
        shutil.copytree(out, keep)
        cases = (("000002.tgz", [r"^in1\.csv: rows 16-30 are in no archive"]),
                 ("000003.tgz", [r"^in1\.csv: rows 31-45 are in no archive"]),
                 ("000004.tgz", [r"^in2\.csv: rows 1-7 are in no archive",
                                 r"^in3\.csv: rows 1-4 are in no archive"]))
        for victim, rows in cases:
            with self.subTest(deleted=victim):
                shutil.rmtree(out)
                shutil.copytree(keep, out)
                os.unlink(os.path.join(out, victim))
                self.problems(self.verify("out"),
                              r"^out/%s: missing: " % re.escape(victim),
                              *rows)
        with self.subTest(cut="000003.tgz"):
            shutil.rmtree(out)
            shutil.copytree(keep, out)
            a3 = os.path.join(out, "000003.tgz")
            self.write(a3, self.read(a3)[:100])
            self.problems(self.verify("out"),
                          r"^out/000003\.tgz: gzip: .*cut short",
                          r"^in1\.csv: rows 31-45 are in no archive")

    def test_gap_in_numbering(self):
        """An archive and its group both gone: only the numbering (and,
        per input, the rows) show it."""
        out = self.pack()
        os.unlink(os.path.join(out, "000002.tgz"))
        self.edit_journal(lambda ls: ls[:5] + ls[10:])
        self.problems(self.verify("out"),
                      r"^out: no archive 000002\.tgz between 000001\.tgz and "
                      r"000003\.tgz",
                      r"^in1\.csv: rows 16-30 are in no archive")

    def test_no_journal(self):
        out = self.pack()
        os.unlink(os.path.join(out, h.JOURNAL))
        lines = self.problems(self.verify("out"),
                              *[r"^out/%06d\.tgz: not in the journal" % i
                                for i in range(1, 5)])
        self.assertGreaterEqual(len(lines), 4)

    def test_empty_dir(self):
        os.makedirs(self.path("empty"))
        self.make_inputs()
        self.assertVerified(self.verify("empty"), archives=0, docs=0, rows=0,
                            inputs=0)
        self.problems(self.verify("empty", "in3.csv"),
                      r"^in3\.csv:2: rows 1-4 are in no archive",
                      dirs=["empty"], inputs=["in3.csv"])
        self.assertEqual(os.listdir(self.path("empty")), [],
                         "verify wrote into the directory it checks")


# ---------------------------------------------------------------- journal


class JournalDamage(VerifyCase):

    def test_a_group_lost(self):
        self.pack()
        # lines: 0 B 000001, 1-3 D, 4 E, 5 B 000002, 6-8 D, 9 E, ...
        self.edit_journal(lambda ls: ls[:5] + ls[10:])
        self.problems(self.verify("out"),
                      r"^out/000002\.tgz: not in the journal",
                      r"^in1\.csv: rows 16-30 are in no archive")

    def test_a_d_line_lost(self):
        self.pack()
        self.edit_journal(lambda ls: ls[:7] + ls[8:])
        self.problems(self.verify("out"),
                      r"^out/000002\.tgz\b.*000005\.xml.*journal",
                      r"^in1\.csv: rows 21-25 are in no archive")

    def test_the_e_line_lost(self):
        """A group without its E is a torn one: it counts for nothing."""
        self.pack()
        self.edit_journal(lambda ls: ls[:9] + ls[10:])
        self.problems(self.verify("out"),
                      r"^out/000002\.tgz: not in the journal",
                      r"^in1\.csv: rows 16-30 are in no archive")

    def test_rows_the_document_does_not_hold(self):
        self.pack()
        self.edit_journal(lambda ls: [
            re.sub(r"^D 12 1 4 ", "D 12 1 6 ", ln) for ln in ls])
        self.assertIn("D 12 1 6 ", self.read(self.path("out", h.JOURNAL))
                      .decode())
        self.problems(self.verify("out"),
                      r"^out/000004\.tgz 000012\.xml: holds 4 rows, the "
                      r"journal says 6")

    def test_overlapping_rows(self):
        """A 5th archive, well made and journalled, holding a copy of
        000004.xml (rows 16-20 of in1.csv) as 000013.xml."""
        out = self.pack()
        with tarfile.open(os.path.join(out, "000002.tgz"), "r:gz") as tf:
            m = tf.getmember("000004.xml")
            data = tf.extractfile(m).read()
        self.assertEqual(data.count(b'sid="4"'), 1)
        data = data.replace(b'sid="4"', b'sid="13"')
        self.write(os.path.join(out, "000005.tgz"), gzip.compress(
            self.rebuild([("000013.xml", m, data)]), mtime=0))
        d4 = [d for _, docs in h.journal_groups(out) for d in docs
              if d[0] == 4][0]
        self.edit_journal(lambda ls: ls + [
            "B 000005.tgz", "D 13 16 20 %d %d in1.csv" % d4[3:5], "E"])
        self.problems(self.verify("out"),
                      r"^in1\.csv: rows 16-20 are in out/000005\.tgz "
                      r"000013\.xml and also in an earlier document")

    def test_a_damaged_line(self):
        self.pack()
        self.edit_journal(lambda ls: ls[:3] + ["Q what is this"] + ls[3:])
        self.problems(self.verify("out"), r"^out/\.csvpack-journal:4: ")


# ---------------------------------------------------------------- staging


class Staging(VerifyCase):

    def test_complete_document_left_in_staging(self):
        out = self.pack()
        staging = os.path.join(out, STAGING)
        os.makedirs(staging)
        with tarfile.open(os.path.join(out, "000004.tgz"), "r:gz") as tf:
            data = tf.extractfile("000012.xml").read()
        self.write(os.path.join(staging, "000012.xml"), data)
        d12 = [d for _, docs in h.journal_groups(out) for d in docs
               if d[0] == 12][0]
        self.write(os.path.join(staging, "000012.meta"),
                   ("%d %d %d %d %d %s\n" % d12).encode())
        self.problems(self.verify("out"),
                      r"^out/\.csvpack-staging/000012\.xml: a complete "
                      r"document left in staging")

    def test_empty_staging_is_fine(self):
        out = self.pack()
        os.makedirs(os.path.join(out, STAGING))
        self.assertVerified(self.verify("out", *INPUTS))


# ---------------------------------------------------------------- manifest


class Manifest(VerifyCase):

    def test_changed_document_only_sha256_sees(self):
        out = self.pack("--manifest")
        a1 = os.path.join(out, "000001.tgz")
        self.change_value(a1, "000002.xml", b"<id>r07</id>",
                          b"<id>r08</id>")
        h.gzip_test([a1])
        with tarfile.open(a1, "r:gz") as tf:
            self.assertEqual(tf.getnames()[-1], SUMS)
        lines = self.problems(self.verify("out"),
                              r"^out/000001\.tgz 000002\.xml: SHA-256 does "
                              r"not match SHA256SUMS")
        self.assertEqual(len(lines), 1, lines)
        # sha256sum agrees.
        d = self.path("x")
        os.makedirs(d)
        self.assertExit(h.run(["tar", "-xzf", a1, "-C", d], timeout=60), 0)
        p = h.run(["sha256sum", "-c", SUMS], cwd=d, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(b"000002.xml: FAILED", p.stdout)

    def test_changed_sha256sums(self):
        out = self.pack("--manifest")
        a3 = os.path.join(out, "000003.tgz")
        self.change_value(a3, SUMS, b"  000008.xml\n", b"  000088.xml\n")
        self.problems(self.verify("out"), r"^out/000003\.tgz\b.*SHA256SUMS")


# ---------------------------------------------------------------- inputs


class Inputs(VerifyCase):

    def test_input_row_changed(self):
        self.pack()
        rows = in1_rows()
        rows[11][0] = "r1X"                               # row 12
        rows[7][2] = rows[7][2].replace("second", "secund")  # row 8
        h.write_csv(self.path("in1.csv"), ["id", "name", "note"], rows)
        self.assertVerified(self.verify("out"))
        lines = self.problems(
            self.verify("out", *INPUTS),
            r"^in1\.csv:%d: row 12 .*out/000001\.tgz 000003\.xml row 2\b"
            r".*field 1 \(id\).*\"r1X\".*\"r12\"" % self.line_of("in1.csv", 12),
            r"^in1\.csv:%d: row 8 .*out/000001\.tgz 000002\.xml row 3\b"
            r".*field 3 \(note\)" % self.line_of("in1.csv", 8))
        # A value with a newline is still one line.
        self.assertEqual(len(lines), 2, lines)

    def test_input_row_deleted(self):
        self.pack()
        rows = in1_rows()
        del rows[19]                                      # row 20
        h.write_csv(self.path("in1.csv"), ["id", "name", "note"], rows)
        self.problems(
            self.verify("out", *INPUTS),
            r"^in1\.csv:%d: row 20 .*out/000002\.tgz 000004\.xml row 5\b"
            % self.line_of("in1.csv", 20),
            r"^in1\.csv: out/000003\.tgz 000009\.xml holds rows 45-45, the "
            r"input has 44 rows")

    def test_input_rows_added(self):
        self.pack()
        rows = in1_rows() + [["r46", "new", "x"], ["r47", "newer", "y\nz"]]
        h.write_csv(self.path("in1.csv"), ["id", "name", "note"], rows)
        lines = self.problems(self.verify("out", *INPUTS),
                              r"^in1\.csv:%d: rows 46-47 are in no archive"
                              % self.line_of("in1.csv", 46))
        self.assertEqual(len(lines), 1, lines)

    def test_input_bad_csv(self):
        self.pack()
        with open(self.path("in1.csv"), "rb") as f:
            n = f.read().count(b"\n")
        with open(self.path("in1.csv"), "ab") as f:
            f.write(b'r46,"never closed,x\n')
        p = self.verify("out", *INPUTS)
        self.assertExit(p, 65, "verify with an input that is bad CSV")
        self.assertIn("in1.csv:%d:" % (n + 1),
                      p.stderr.decode("utf-8", "replace"))

    def test_missing_input(self):
        self.pack()
        p = self.verify("out", "in1.csv", "nope.csv")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nope.csv", p.stderr.decode("utf-8", "replace"))


# ---------------------------------------------------------------- command


class Command(VerifyCase):

    def test_usage_errors(self):
        self.pack()
        for args in ([], ["--bogus", "out"], ["-d", "ab", "out"],
                     ["--encoding"], ["-d"]):
            with self.subTest(args=args):
                p = self.verify(*args)
                self.assertExit(p, 2, "verify %r" % args)
                self.assertEqual(p.stdout, b"")
                self.assertRegex(p.stderr.decode("utf-8", "replace"),
                                 r"^csvpack[-a-z]*: ")

    def test_missing_dir(self):
        p = self.verify("no-such-dir")
        self.assertIn(p.returncode, (1, 2), p.stderr)
        self.assertIn("no-such-dir", p.stderr.decode("utf-8", "replace"))
        self.assertEqual(p.stdout, b"")

    def test_head_1_does_not_hang(self):
        """Thousands of problem lines into `head -1`: the first one comes,
        nothing hangs, nothing is left running."""
        rows = [["b%d" % i, "x" * 40, "é%d" % i] for i in range(1, 4001)]
        h.write_csv(self.path("big.csv"), ["id", "name", "note"], rows)
        p = self.csvpack("-q", "-o", "out", "-r", "100", "-b", "5", "big.csv")
        self.assertExit(p, 0)
        h.write_csv(self.path("big.csv"), ["id", "name", "note"], rows[1:])
        full = self.verify("out", "big.csv", timeout=120)
        lines = self.problems(full, r"^big\.csv:2: row 1 .*out/000001\.tgz "
                              r"000001\.xml row 1\b", inputs=["big.csv"])
        self.assertGreater(len(full.stdout), 256 * 1024)
        self.assertGreaterEqual(len(lines), 3999)
        p = h.run(["bash", "-c", "csvpack verify out big.csv | head -1"],
                  cwd=self.dir, env={"PATH": h.BIN + os.pathsep +
                                     os.environ.get("PATH", "")},
                  timeout=60)
        self.assertExit(p, 0, "csvpack verify out big.csv | head -1")
        self.assertEqual(p.stdout.decode().splitlines(), lines[:1])
        self.assertEqual(p.leftover, [])


if __name__ == "__main__":
    import unittest
    unittest.main()
