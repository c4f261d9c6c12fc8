"""A larger round trip: 100,000 rows x 8 columns of random quoted content."""

import helpers as h
from helpers import E2ECase

ROWS = 100000
COLS = 8
B, R = 10, 997


class LargeRoundTrip(E2ECase):

    def test_large_round_trip(self):
        header = ["c%d" % i for i in range(COLS)]
        rows = h.random_rows(20240611, ROWS, COLS)
        f = h.write_csv(self.path("large.csv"), header, rows)
        # the generator really makes the hard cases
        flat = [v for row in rows for v in row]
        for needle in (",", '"', "\n", "\r", "股", "😀", "<", "&"):
            self.assertTrue(any(needle in v for v in flat), needle)
        self.assertGreater(sum(1 for v in flat if v == ""), ROWS // 10)

        want = h.expected_rows([("large.csv", f)])
        self.assertEqual([v for _, _, v in want], rows,
                         "the csv module reads back what was written")

        p = self.csvpack("-o", "out", "-b", str(B), "-r", str(R),
                         "large.csv", timeout=120)
        self.assertExit(p, 0)
        n_docs = -(-ROWS // R)                    # 101
        n_arch = -(-n_docs // B)                  # 11
        out = self.path("out")
        self.assertEqual(h.archive_names(out),
                         ["%06d.tgz" % i for i in range(1, n_arch + 1)])
        self.assertEqual(p.stdout.decode().splitlines(),
                         ["out/%06d.tgz" % i for i in range(1, n_arch + 1)])
        self.assertOnlyArchives(out)
        docs = self.check_archives(out, batch=B, rows=R)
        self.assertGreaterEqual(len(docs), n_docs)
        self.assertRowsEqual(self.rows_of(docs), want, "100k rows")
        for d in docs:
            for _, _, tags in d.rows:
                self.assertEqual(tags, header)
        # the summary line counts what was done
        self.assertRegex(p.stderr.decode(),
                         r"\b%d rows\b.*\b%d documents\b.*\b%d archives\b"
                         % (ROWS, len(docs), n_arch))
