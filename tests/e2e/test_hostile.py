"""End-to-end tests of spec guarantee 11: a hostile output directory.

-o may be a drop directory or a share that other users write to.  What
csvpack keeps there between runs - the staging directory, the lock, the
journal - is refused when it is a symlink, another user's, writable by
others, hard-linked or not a regular file: the launcher exits 1 with a
message naming it and saying why, and whatever is behind it is byte for
byte as it was (hashed before and after; a directory: its listing, modes,
owners and contents).  Another user is simulated with chown to uid 12345,
which needs root: those tests are skipped otherwise.

The race: while a run packs 150 one-row documents into 150 archives, a
thread keeps planting symlinks to a victim file at every temporary name
csvpack uses (.csvpack-NNNNNN.tgz.tmp in -o, .NNNNNN.xml.tmp and
.NNNNNN.meta.tmp in staging).  Afterwards every archive is a regular
file, complete, the 150 rows stand once each, and the victim is intact.

And the journal is read strictly: a damaged complete line stops the run
(exit 1, DIR/.csvpack-journal:LINE:), a line a crash cut short does not.
"""

import hashlib
import os
import stat
import threading
import time
import unittest

import helpers as h
from helpers import E2ECase

STRANGER = 12345
IS_ROOT = os.geteuid() == 0

JOURNAL = ".csvpack-journal"
LOCK = ".csvpack.lock"
STAGING = ".csvpack-staging"

DOC = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<table source="x.csv" sid="1">\n'
       b'  <row line="2"><a>1</a></row>\n'
       b'</table>\n')
META = b"1 1 1 x.csv\n"
GOOD_JOURNAL = b"B 000001.tgz\nD 1 1 1 x.csv\nE\n"


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(top):
    """{relative path: (type, mode, uid, sha256 / link target / None)} of
    everything under top, top included, links not followed."""
    out = {}
    st = os.lstat(top)
    if not stat.S_ISDIR(st.st_mode):
        what = sha(top) if stat.S_ISREG(st.st_mode) else None
        return {".": (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                      st.st_uid, what)}
    for root, dirs, files in os.walk(top, followlinks=False):
        for name in [""] + dirs + files:
            full = os.path.join(root, name) if name else root
            if name == "" and root != top:
                continue   # listed by its parent
            st = os.lstat(full)
            rel = os.path.relpath(full, top)
            if stat.S_ISLNK(st.st_mode):
                what = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                what = sha(full)
            else:
                what = None
            out[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                        st.st_uid, what)
    return out


class Refusals(E2ECase):
    """Each planted thing: exit 1, named, why, nothing behind it touched."""

    def setUp(self):
        super().setUp()
        self.csv = h.write_csv(self.path("a.csv"), ["id", "v"],
                               h.random_rows(7, 40, 2, simple=True))
        self.out = self.path("out")
        os.makedirs(self.out)
        self.victim = h.write_bytes(self.path("victim"),
                                    b"precious, not csvpack's\n")
        self.victim_dir = self.path("elsewhere")
        os.makedirs(self.victim_dir)
        for name, data in (("000001.xml", DOC), ("000001.meta", META),
                           (".000002.xml.tmp", b"<table"),
                           ("000003.meta", b"3 5 6 y.csv\n"),
                           ("notes.txt", b"keep me\n")):
            h.write_bytes(os.path.join(self.victim_dir, name), data)

    def refused(self, name, why, behind):
        """Runs csvpack on self.out; asserts exit 1, a message naming
        out/NAME and holding why, and snapshot(behind) unchanged."""
        before = snapshot(behind)
        p = self.csvpack("-q", "-b", "2", "-r", "5", "-o", "out", self.csv,
                         timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        self.assertExit(p, 1)
        self.assertIn("out/%s: refused: " % name, err)
        self.assertIn(why, err)
        self.assertEqual(snapshot(behind), before,
                         "what stood behind %s changed" % name)
        self.assertEqual(h.archive_names(self.out), [],
                         "archives made despite the refusal")
        return err

    # -- symlinks

    def test_journal_symlink(self):
        os.symlink(self.victim, os.path.join(self.out, JOURNAL))
        self.refused(JOURNAL, "symbolic link", self.victim)
        self.assertTrue(os.path.islink(os.path.join(self.out, JOURNAL)))

    def test_lock_symlink(self):
        os.symlink(self.victim, os.path.join(self.out, LOCK))
        self.refused(LOCK, "symbolic link", self.victim)
        self.assertTrue(os.path.islink(os.path.join(self.out, LOCK)))

    def test_dangling_lock_symlink_creates_nothing(self):
        target = self.path("made-through-the-link")
        os.symlink(target, os.path.join(self.out, LOCK))
        self.refused(LOCK, "symbolic link", self.out)
        self.assertFalse(os.path.lexists(target))

    def test_staging_symlink_to_another_directory(self):
        os.symlink(self.victim_dir, os.path.join(self.out, STAGING))
        self.refused(STAGING, "symbolic link", self.victim_dir)

    # -- not the running user's, or writable by others

    @unittest.skipUnless(IS_ROOT, "chown to another uid needs root")
    def test_staging_of_another_user(self):
        st = os.path.join(self.out, STAGING)
        os.makedirs(st)
        h.write_bytes(os.path.join(st, "000001.xml"), DOC)
        h.write_bytes(os.path.join(st, "000001.meta"), META)
        os.chown(st, STRANGER, STRANGER)
        self.refused(STAGING, "owned by uid %d" % STRANGER, st)

    def test_staging_writable_by_others(self):
        for mode in (0o777, 0o775):
            with self.subTest(mode=oct(mode)):
                st = os.path.join(self.out, STAGING)
                os.makedirs(st, exist_ok=True)
                h.write_bytes(os.path.join(st, "000001.xml"), DOC)
                h.write_bytes(os.path.join(st, "000001.meta"), META)
                os.chmod(st, mode)
                self.refused(STAGING, "writable by its group or others", st)

    @unittest.skipUnless(IS_ROOT, "chown to another uid needs root")
    def test_journal_of_another_user(self):
        j = h.write_bytes(os.path.join(self.out, JOURNAL), GOOD_JOURNAL)
        os.chown(j, STRANGER, STRANGER)
        self.refused(JOURNAL, "owned by uid %d" % STRANGER, j)

    def test_journal_writable_by_others(self):
        j = h.write_bytes(os.path.join(self.out, JOURNAL), GOOD_JOURNAL)
        os.chmod(j, 0o666)
        self.refused(JOURNAL, "writable by its group or others", j)

    @unittest.skipUnless(IS_ROOT, "chown to another uid needs root")
    def test_lock_of_another_user(self):
        lk = h.write_bytes(os.path.join(self.out, LOCK), b"someone\n")
        os.chown(lk, STRANGER, STRANGER)
        self.refused(LOCK, "owned by uid %d" % STRANGER, lk)

    # -- other kinds of plants

    def test_journal_hard_link(self):
        os.link(self.victim, os.path.join(self.out, JOURNAL))
        self.refused(JOURNAL, "hard links", self.victim)

    def test_lock_hard_link(self):
        os.link(self.victim, os.path.join(self.out, LOCK))
        self.refused(LOCK, "hard links", self.victim)

    def test_journal_fifo_does_not_hang(self):
        fifo = os.path.join(self.out, JOURNAL)
        os.mkfifo(fifo)
        self.refused(JOURNAL, "not a regular file", fifo)

    def test_staging_is_a_file(self):
        h.write_bytes(os.path.join(self.out, STAGING), b"not a dir\n")
        self.refused(STAGING, "not a directory",
                     os.path.join(self.out, STAGING))


class Replanting(E2ECase):
    """Symlinks re-planted at every temporary name during a run."""

    ROWS = 150

    def test_replanted_temporary_names(self):
        csvf = h.write_csv(self.path("a.csv"), ["id", "v"],
                           h.random_rows(11, self.ROWS, 2, simple=True))
        out = self.path("out")
        os.makedirs(out)
        victim = h.write_bytes(self.path("victim"), b"the victim\n" * 10)
        victim_hash = sha(victim)
        staging = os.path.join(out, STAGING)
        names = []
        for n in range(1, self.ROWS + 2):
            names.append(os.path.join(out, ".csvpack-%06d.tgz.tmp" % n))
            names.append(os.path.join(staging, ".%06d.xml.tmp" % n))
            names.append(os.path.join(staging, ".%06d.meta.tmp" % n))
        stop = threading.Event()
        planted = [0]

        def attacker():
            while not stop.is_set():
                for name in names:
                    try:
                        os.symlink(victim, name)
                        planted[0] += 1
                    except OSError:
                        pass
                time.sleep(0)

        t = threading.Thread(target=attacker, daemon=True)
        t.start()
        try:
            p = self.csvpack("-q", "-b", "1", "-r", "1", "-o", "out",
                             "a.csv", timeout=300)
        finally:
            stop.set()
            t.join(10)
        self.assertFalse(t.is_alive(), "the attacker thread did not stop")
        self.assertExit(p, 0)
        self.assertGreater(planted[0], self.ROWS, "the race never ran")
        self.assertEqual(sha(victim), victim_hash, "the victim was written")
        archives = h.archive_names(out)
        self.assertEqual(archives,
                         ["%06d.tgz" % i for i in range(1, self.ROWS + 1)])
        for a in archives:
            st = os.lstat(os.path.join(out, a))
            self.assertTrue(stat.S_ISREG(st.st_mode),
                            "%s is not a regular file" % a)
            self.assertEqual(st.st_nlink, 1, "%s has other links" % a)
        docs = self.check_archives(out, batch=1, rows=1)
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("a.csv", csvf)]))


class JournalDamage(E2ECase):
    """Strict reading: damage is an error, a crash's torn line is not."""

    def run_once(self, *extra):
        return self.csvpack("-q", "-b", "2", "-r", "3", "-o", "out",
                            *extra, timeout=60)

    def setUp(self):
        super().setUp()
        self.csv = h.write_csv(self.path("a.csv"), ["id", "v"],
                               h.random_rows(5, 20, 2, simple=True))
        self.journal = self.path("out", JOURNAL)

    def test_damaged_line_stops_the_run(self):
        self.assertExit(self.run_once("a.csv"), 0)
        with open(self.journal, "rb") as f:
            nlines = f.read().count(b"\n")
        with open(self.journal, "ab") as f:
            f.write(b"B 000009.tgz\nD 40 x 41 a.csv\nE\n")
        before = sha(self.journal)
        p = self.run_once("--resume", "a.csv")
        self.assertExit(p, 1)
        self.assertIn("out/%s:%d: " % (JOURNAL, nlines + 2),
                      p.stderr.decode())
        self.assertEqual(sha(self.journal), before)

    def test_torn_last_line_is_ignored(self):
        self.assertExit(self.run_once("a.csv"), 0)
        archives = h.archive_names(self.path("out"))
        # A crash in the middle of a group: no E, the last line cut.
        with open(self.journal, "ab") as f:
            f.write(b"B 000099.tgz\nD 77 1 2 a.c")
        p = self.run_once("--resume", "a.csv")
        self.assertExit(p, 0)
        self.assertEqual(h.archive_names(self.path("out")), archives,
                         "--resume archived rows again")
        # Now closed (CR LF) and followed by the next run's groups:
        # still read without complaint, still nothing to redo.
        more = h.write_csv(self.path("b.csv"), ["id", "v"],
                           h.random_rows(6, 5, 2, simple=True))
        p = self.run_once("--resume", "a.csv", "b.csv")
        self.assertExit(p, 0)
        with open(self.journal, "rb") as f:
            self.assertIn(b"D 77 1 2 a.c\r\nB ", f.read())
        docs = self.check_archives(self.path("out"))
        self.assertRowsEqual(self.rows_of(docs), h.expected_rows(
            [("a.csv", self.csv), ("b.csv", more)]))


if __name__ == "__main__":
    unittest.main()
