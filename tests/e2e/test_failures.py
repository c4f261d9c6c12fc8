"""Failures from outside: a terminal that hangs up mid-input, IPC names
squatted by another user, and options that would break a promise.

Issue 10: an input that fails to read must end the run like bad input
does (every row before it archived, exactly once) but with exit 1, and
never repeat a row; objects in /dev/shm that are not the running user's
are neither used nor removed.
"""

import os
import pty
import select
import subprocess
import time
import tty

from helpers import (CONVERTER, LAUNCHER, E2ECase, Hang, csvpack,
                     read_archives, shm_entries)

OTHER_UID = 12345


def wait_input_read(slave, p, timeout):
    """Waits until what was written to the pty's master has been read
    from the slave: poll(2) on the slave moves what the master wrote into
    the line discipline first, so "not readable" means "read".  True
    then; False if p exited first or timeout s passed."""
    deadline = time.monotonic() + timeout
    while select.select([slave], [], [], 0)[0]:
        if p.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def run_on_hung_up_terminal(args, data, cwd, timeout=20):
    """Runs args with stdin on a pty that delivers data, then, once the
    stage has read it, hangs up (the master closes): the next read(2)
    fails with EIO."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    p = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=cwd)
    os.write(master, data)
    read = wait_input_read(slave, p, timeout)
    os.close(slave)
    os.close(master)
    if not read and p.poll() is None:
        p.kill()
        p.communicate()
        raise Hang("%r did not read its input within %d s" % (args, timeout))
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Hang("%r did not end within %d s" % (args, timeout))
    return p.returncode, out.decode(), err.decode("utf-8", "replace")


class HungUpTerminal(E2ECase):
    ROWS = b"a,b\n1,2\n"

    def test_pipeline_archives_the_row_once_and_exits_1(self):
        name = self.name("eio")
        rc, out, err = run_on_hung_up_terminal(
            [LAUNCHER, "--name", name, "-r", "2", "-b", "1", "-o", "out",
             "-"], self.ROWS, self.dir)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.count("-: read: Input/output error"), 1, err)
        self.assertEqual(out.split(), ["out/000001.tgz"])
        archives = read_archives(self.path("out"))
        rows = [r for _, docs in archives for d in docs
                for r in d.row_tuples()]
        self.assertEqual(rows, [("-", 1, 2, ["1", "2"])])
        self.assertNoShm(name)

    def test_converter_stdout_stops_at_once(self):
        rc, out, err = run_on_hung_up_terminal(
            [CONVERTER, "--stdout", "-"], self.ROWS, self.dir)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.strip().splitlines(),
                         ["csvpack-converter: -: read: Input/output error"])


class RefusedOptions(E2ECase):
    def write_input(self):
        with open(self.path("in.csv"), "w") as f:
            f.write("a\n1\n")

    def test_prefix_with_control_characters(self):
        self.write_input()
        for prefix in ("a\nb", "a\tb", "x\x7f", "a/b"):
            with self.subTest(prefix=prefix):
                p = self.csvpack("--prefix", prefix, "-o", "out", "in.csv")
                self.assertExit(p, 2)
                self.assertIn(b"--prefix", p.stderr)
                self.assertFalse(os.path.exists(self.path("out")))

    def test_name_with_a_slash_or_control(self):
        self.write_input()
        for bad in ("a/b", "a\nb", ".hidden"):
            with self.subTest(name=bad):
                p = self.csvpack("-o", "out", "in.csv", name=bad)
                self.assertExit(p, 2)
                self.assertIn(b"--name", p.stderr)

    def test_ring_size_below_the_minimum(self):
        self.write_input()
        p = self.csvpack("--ring-size", "4K", "-o", "out", "in.csv")
        self.assertExit(p, 2)
        self.assertIn(b"below the minimum, 64K", p.stderr)
        p = self.csvpack("--ring-size", "64K", "-o", "out", "in.csv")
        self.assertExit(p, 0)


def snapshot(path):
    """What a squatted object is: type, owner, mode and content."""
    st = os.lstat(path)
    content = None
    if os.path.islink(path):
        content = os.readlink(path)
    elif os.path.isfile(path):
        with open(path, "rb") as f:
            content = f.read()
    return (st.st_mode, st.st_uid, content)


class SquattedIpcNames(E2ECase):
    """Another user made objects under our pipeline's names (mode 0666,
    a symlink, a FIFO): csvpack refuses them, naming the object, its
    owner and --name, and leaves them as they were."""

    def setUp(self):
        super().setUp()
        with open(self.path("in.csv"), "w") as f:
            f.write("a,b\n1,2\n3,4\n")
        self.planted = []

    def tearDown(self):
        for p in self.planted:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        super().tearDown()

    def plant(self, path, kind):
        if kind == "file":
            with open(path, "wb") as f:
                f.write(b"not yours\n" * 500)
            os.chown(path, OTHER_UID, OTHER_UID)
            os.chmod(path, 0o666)
        elif kind == "symlink":
            os.symlink(self.path("victim"), path)
        elif kind == "fifo":
            os.mkfifo(path, 0o666)
            os.chown(path, OTHER_UID, OTHER_UID)
        self.planted.append(path)

    def check_refused(self, what, kind):
        name = self.name("sq")
        with open(self.path("victim"), "wb") as f:
            f.write(b"victim\n")
        uid = os.getuid()
        path = {"segment": "/dev/shm/csvpack-%d-%s" % (uid, name),
                "semaphore": "/dev/shm/sem.csvpack-%d-%s.space"
                             % (uid, name)}[what]
        self.plant(path, kind)
        before = snapshot(path)
        # Not self.csvpack: it asserts that nothing of the name is left.
        p = csvpack("--name", name, "-o", "out", "in.csv", cwd=self.dir,
                    timeout=60)
        self.assertExit(p, 1, "%s %s" % (what, kind))
        err = p.stderr.decode()
        self.assertIn(path, err)
        self.assertIn("--name", err)
        if kind == "file":
            self.assertIn("uid %d" % OTHER_UID, err)
        self.assertEqual(snapshot(path), before)
        with open(self.path("victim"), "rb") as f:
            self.assertEqual(f.read(), b"victim\n")
        # Nor does a cleanup, by name or sweeping, remove it.
        self.csvpack_cleanup(name)
        self.csvpack_cleanup(None)
        self.assertEqual(snapshot(path), before)
        # Only the squatted object is left of that name.
        self.assertEqual(shm_entries(name), [os.path.basename(path)])

    def csvpack_cleanup(self, name):
        args = ["--cleanup"] + ([name] if name else [])
        csvpack(*args, cwd=self.dir, timeout=30)

    def test_segment_of_another_user(self):
        self.check_refused("segment", "file")

    def test_segment_is_a_symlink(self):
        self.check_refused("segment", "symlink")

    def test_segment_is_a_fifo(self):
        self.check_refused("segment", "fifo")

    def test_semaphore_of_another_user(self):
        self.check_refused("semaphore", "file")

    def test_semaphore_is_a_symlink(self):
        self.check_refused("semaphore", "symlink")
