"""Inputs as other systems export them (issue 15): a byte-order mark
decides the encoding, gzip inputs are inflated as read, and invalid UTF-8
gets advice.

- An Excel "Unicode text" export (UTF-16LE with a BOM, tabs, CRLF, quoted
  fields with tabs and line ends inside) round-trips with only -d '\\t';
  the summary names the encoding; verify with the input says OK.  A BOM
  that contradicts --encoding is exit 65 naming both, nothing archived.
- A .csv.gz of two members round-trips with its name in `source` and the
  journal, verify with it says OK; from stdin, source is "-".  --resume
  on it, after the file grew by a member, archives only the new rows.
- A CP1252 file without --encoding: exit 65, FILE:LINE: not valid UTF-8
  (byte 0x93 at column 3), then "FILE: try --encoding CP1252 (...)";
  the rows before it archived; with the advice taken it round-trips.
- A .csv.gz cut short: exit 65 "gzip stream ends early", the rows before
  archived (a prefix of the file's, and more than none), the message
  naming the lines read from the unchecked member.  A flipped CRC: exit
  65 "gzip stream is corrupt (incorrect data check)", after all its rows.
"""

import gzip
import os
import random
import subprocess

import helpers as h


def excel_text(n):
    rnd = random.Random(15)
    words = ["Zürich", "naïve", "股票", "😀", "a\tb", "two\r\nlines", "",
             "plain", "5\" screen", "€ 12,50", "<&>"]
    rows = [["id", "name", "note"]]
    for i in range(n):
        rows.append([str(i), rnd.choice(words), rnd.choice(words)])

    def cell(v):
        if any(c in v for c in "\t\r\n\""):
            return '"' + v.replace('"', '""') + '"'
        return v
    return "".join("\t".join(cell(v) for v in r) + "\r\n" for r in rows)


def plain_csv(n, seed=1):
    rnd = random.Random(seed)
    lines = ["k,v,w"]
    for i in range(n):
        lines.append('%d,"v %d, %s",%d' % (i, rnd.randint(0, 10 ** 6),
                                           rnd.choice(["é", "x", "股"]), i))
    return "\n".join(lines) + "\n"


class InputsTest(h.E2ECase):

    def expected(self, name, text, delimiter=","):
        twin = self.path(".twin-" + os.path.basename(name))
        h.write_bytes(twin, text.encode("utf-8"))
        want = h.expected_rows([(name, twin)], delimiter=delimiter)
        os.unlink(twin)
        return want

    def test_excel_utf16le_bom_tab_export(self):
        text = excel_text(300)
        raw = b"\xff\xfe" + text.encode("utf-16-le")
        h.write_bytes(self.path("Book1.txt"), raw)
        want = self.expected("Book1.txt", text, "\t")
        p = self.csvpack("-o", "out", "-d", "\\t", "-r", "50", "-b", "2",
                         "Book1.txt")
        self.assertExit(p, 0)
        self.assertIn("csvpack-producer: Book1.txt: read as UTF-16LE (its "
                      "byte-order mark)", p.stderr.decode())
        docs = self.check_archives(self.path("out"), 2, 50,
                                   inputs=["Book1.txt"], dialect=["-d", "\t"])
        self.assertRowsEqual(self.rows_of(docs), want)

    def test_bom_contradicting_encoding(self):
        h.write_bytes(self.path("b.txt"),
                      b"\xff\xfe" + "a,b\r\n1,2\r\n".encode("utf-16-le"))
        p = self.csvpack("-o", "out", "--encoding", "CP1252", "b.txt")
        self.assertExit(p, 65)
        self.assertIn("csvpack-producer: b.txt:1: starts with a UTF-16LE "
                      "byte-order mark, but --encoding says CP1252",
                      p.stderr.decode())
        self.assertEqual(h.archive_names(self.path("out"))
                         if os.path.isdir(self.path("out")) else [], [])

    def test_gz_round_trip_name_kept(self):
        t1, t2 = plain_csv(700, 2), plain_csv(500, 3).split("\n", 1)[1]
        h.write_bytes(self.path("orders.csv.gz"),
                      gzip.compress(t1.encode()) + gzip.compress(t2.encode()))
        want = self.expected("orders.csv.gz", t1 + t2)
        p = self.csvpack("-o", "out", "-r", "100", "-b", "3",
                         "orders.csv.gz")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out"), 3, 100,
                                   inputs=["orders.csv.gz"])
        self.assertRowsEqual(self.rows_of(docs), want)
        inputs = {d[5] for _, ds in h.journal_groups(self.path("out"))
                  for d in ds}
        self.assertEqual(inputs, {"orders.csv.gz"})
        # From stdin it is "-".
        with open(self.path("orders.csv.gz"), "rb") as f:
            p = self.csvpack("-o", "out2", "-q", "-", input=f.read())
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out2"))
        self.assertRowsEqual(self.rows_of(docs),
                             [("-",) + r[1:] for r in want])

    def test_gz_resume(self):
        t1, t2 = plain_csv(300, 4), plain_csv(200, 5).split("\n", 1)[1]
        gz = self.path("d.csv.gz")
        h.write_bytes(gz, gzip.compress(t1.encode()))
        p = self.csvpack("-o", "out", "-r", "40", "-b", "2", "d.csv.gz")
        self.assertExit(p, 0)
        n1 = len(h.archive_names(self.path("out")))
        # The export grew by a member: --resume archives the new rows.
        with open(gz, "ab") as f:
            f.write(gzip.compress(t2.encode()))
        p = self.csvpack("-o", "out", "-r", "40", "-b", "2", "--resume",
                         "d.csv.gz")
        self.assertExit(p, 0)
        self.assertIn("--resume: skipped 300 rows", p.stderr.decode())
        docs = self.check_archives(self.path("out"), inputs=["d.csv.gz"])
        self.assertGreater(len(h.archive_names(self.path("out"))), n1)
        self.assertRowsEqual(self.rows_of(docs),
                             self.expected("d.csv.gz", t1 + t2))

    def test_cp1252_gets_the_hint(self):
        text = ("name,quote\r\nA,plain\r\nB,\"two\r\nlines\"\r\n"
                "C,“curly” — dash\r\nD,naïve café\r\n")
        h.write_bytes(self.path("w.csv"), text.encode("cp1252"))
        p = self.csvpack("-o", "out", "-r", "1", "-b", "1", "w.csv")
        self.assertExit(p, 65)
        err = p.stderr.decode()
        self.assertIn("csvpack-producer: w.csv:5: not valid UTF-8 (byte "
                      "0x93 at column 3)\n"
                      "csvpack-producer: w.csv: try --encoding CP1252 (it "
                      "reads \"C,“curly” — dash\")\n", err)
        self.assertNotIn("GB18030", err)
        docs = self.check_archives(self.path("out"), 1, 1)
        self.assertRowsEqual(self.rows_of(docs),
                             [("w.csv", 2, ["A", "plain"]),
                              ("w.csv", 3, ["B", "two\r\nlines"])])
        p = self.csvpack("-o", "out-ok", "--encoding", "CP1252", "w.csv")
        self.assertExit(p, 0)
        docs = self.check_archives(self.path("out-ok"), inputs=["w.csv"],
                                   dialect=["--encoding", "CP1252"])
        self.assertRowsEqual(self.rows_of(docs), self.expected("w.csv", text))

    def test_gb18030_gets_the_hint(self):
        text = "代码,名称\n600000,浦发银行\n000002,万科Ａ\n"
        h.write_bytes(self.path("g.csv"), text.encode("gb18030"))
        p = self.csvpack("-o", "out", "g.csv")
        self.assertExit(p, 65)
        err = p.stderr.decode()
        self.assertIn("g.csv:1: not valid UTF-8 (byte 0xb4 at column 1)",
                      err)
        self.assertIn("g.csv: try --encoding GB18030 (it reads "
                      "\"代码,名称\")", err)

    def test_truncated_gz(self):
        text = plain_csv(6000, 6)
        data = gzip.compress(text.encode())
        h.write_bytes(self.path("t.csv.gz"), data[:len(data) // 2])
        want = self.expected("t.csv.gz", text)
        p = self.csvpack("-o", "out", "-r", "100", "-b", "4", "t.csv.gz")
        self.assertExit(p, 65)
        err = p.stderr.decode()
        self.assertRegex(err, r"(?m)^csvpack-producer: t\.csv\.gz: gzip "
                         r"stream ends early; gzip checks a member's CRC "
                         r"only at its end: lines 1-\d+, from that member, "
                         r"were read before and are archived \(`csvpack "
                         r"locate --line out t\.csv\.gz:2` names the first "
                         r"archive that holds them\)$")
        # The command it names does name that archive.
        loc = h.csvpack("locate", "--line", "out", "t.csv.gz:2",
                        cwd=self.dir)
        self.assertExit(loc, 0)
        self.assertEqual(loc.stdout, b"out/000001.tgz 000001.xml\n")
        docs = self.check_archives(self.path("out"), 4, 100)
        got = self.rows_of(docs)
        self.assertGreater(len(got), 100)
        self.assertRowsEqual(got, want[:len(got)])
        last = int(err.split("lines 1-")[1].split(",")[0])
        self.assertEqual(last, got[-1][1])

    def test_corrupt_crc_gz(self):
        t1, t2 = plain_csv(50, 7), plain_csv(80, 8).split("\n", 1)[1]
        m2 = bytearray(gzip.compress(t2.encode()))
        m2[-8] ^= 0x01      # its CRC
        h.write_bytes(self.path("c.csv.gz"),
                      gzip.compress(t1.encode()) + bytes(m2))
        p = self.csvpack("-o", "out", "c.csv.gz")
        self.assertExit(p, 65)
        self.assertIn("csvpack-producer: c.csv.gz: gzip stream is corrupt "
                      "(member 2: incorrect data check); gzip checks a "
                      "member's CRC only at its end: lines 52-131, from "
                      "that member, were read before and are archived "
                      "(`csvpack locate --line out c.csv.gz:52` names the "
                      "first archive that holds them)", p.stderr.decode())
        docs = self.check_archives(self.path("out"))
        self.assertRowsEqual(self.rows_of(docs),
                             self.expected("c.csv.gz", t1 + t2))

    def test_verify_reads_gz(self):
        text = plain_csv(120, 9)
        h.write_bytes(self.path("v.csv.gz"), gzip.compress(text.encode()))
        p = self.csvpack("-o", "out", "-q", "v.csv.gz")
        self.assertExit(p, 0)
        v = h.verify("out", "v.csv.gz", cwd=self.dir)
        self.assertEqual((v.returncode, v.stdout), (0, b""), v.stderr)
        self.assertIn(": OK", v.stderr.decode())
        # A different input under the name: verify tells.
        h.write_bytes(self.path("v.csv.gz"),
                      gzip.compress(text.replace("7", "8").encode()))
        v = h.verify("out", "v.csv.gz", cwd=self.dir)
        self.assertEqual(v.returncode, 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
