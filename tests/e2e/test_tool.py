"""The command line as a tool (issue 6): help and usage errors of every
program, stages that wait for each other with a timeout, live progress on a
terminal, `csvpack status --watch`, and the launcher refusing what only a
single stage does.

A terminal is made with `script -qec CMD /dev/null` (util-linux), which runs
CMD on a pseudo-terminal and copies what it writes; every run has a timeout.
"""

import os
import re
import shlex
import signal
import time

import helpers as h

PROGRAMS = ("csvpack", "csvpack-producer", "csvpack-converter",
            "csvpack-packer")
# Every option of the spec's table, long form.
SPEC_OPTIONS = ("--output", "--batch", "--rows", "--delimiter", "--no-header",
                "--encoding", "--ragged", "--level", "--name", "--flush-after",
                "--prefix", "--resume", "--jobs", "--ring-size", "--quiet",
                "--progress", "--help", "--version")


def program(name):
    return os.path.join(h.BIN, name)


def on_terminal(cmd, cwd, timeout=60, env=None):
    """Runs the shell command line cmd on a pseudo-terminal; returns the
    CompletedProcess whose stdout is everything the terminal showed."""
    return h.run(["script", "-qec", cmd, "/dev/null"], cwd=cwd,
                 timeout=timeout, env=env)


class Help(h.E2ECase):
    def test_help_lists_every_option_and_an_example(self):
        for prog in PROGRAMS:
            p = h.run([program(prog), "--help"])
            self.assertExit(p, 0, prog + " --help")
            text = p.stdout.decode()
            self.assertTrue(text.startswith("usage: " + prog), text[:80])
            for opt in SPEC_OPTIONS + ("--attach-timeout",):
                self.assertIn(opt, text, "%s --help lacks %s" % (prog, opt))
            self.assertRegex(text, r"\nexamples?:\n  \S", prog)
            self.assertEqual(p.stderr, b"")
        # Each stage shows its own mode.
        self.assertIn("--stdout", h.run([program("csvpack-converter"),
                                         "--help"]).stdout.decode())
        self.assertIn("--dir DIR", h.run([program("csvpack-packer"),
                                          "--help"]).stdout.decode())

    def test_version(self):
        for prog in PROGRAMS:
            p = h.run([program(prog), "--version"])
            self.assertExit(p, 0)
            self.assertRegex(p.stdout.decode(), r"^%s \d+\.\d+\.\d+\n$" % prog)

    def test_bad_option_or_value_is_one_line_and_exit_2(self):
        cases = (["-b", "0"], ["-b", "abc"], ["--bogus"], ["-x"],
                 ["--attach-timeout", "soon"], ["-l", "10"], ["--batch"])
        for prog in PROGRAMS:
            for args in cases:
                p = h.run([program(prog)] + args + ["x.csv"], cwd=self.dir)
                self.assertExit(p, 2, "%s %s" % (prog, args))
                lines = p.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, (prog, args, lines))
                self.assertTrue(lines[0].startswith(prog + ": "), lines)

    def test_launcher_refuses_stage_only_modes(self):
        for args in (["--stdout", "x.csv"], ["--stdout=x.csv"], ["--dir", "d"]):
            p = h.csvpack(*args, cwd=self.dir, timeout=10)
            self.assertExit(p, 2, " ".join(args))
            self.assertRegex(p.stderr.decode(), r"^csvpack: --\w+ is for a "
                             r"single stage")
        # The launcher's old hidden pre-flight is csvpack-admin check now.
        p = h.csvpack("--validate", cwd=self.dir, timeout=10)
        self.assertExit(p, 2, "--validate")
        self.assertIn("unknown option --validate", p.stderr.decode())

    def test_stages_refuse_the_admin_chores(self):
        for prog in ("csvpack-producer", "csvpack-converter",
                     "csvpack-packer"):
            for opt, sub in (("--cleanup", "cleanup"), ("--status", "status")):
                p = h.run([program(prog), opt, "--name", "x"], cwd=self.dir,
                          timeout=10)
                self.assertExit(p, 2, "%s %s" % (prog, opt))
                self.assertIn("%s is csvpack-admin's (csvpack %s [NAME])"
                              % (opt, sub), p.stderr.decode())

    def test_admin_status_is_the_launchers(self):
        # `csvpack status` is csvpack-admin's: the same bytes, same exit.
        for args in ([], ["nope-no-such"]):
            a = h.csvpack("status", *args, cwd=self.dir, timeout=10)
            b = h.run([program("csvpack-admin"), "status"] + args,
                      cwd=self.dir, timeout=10)
            self.assertEqual((a.returncode, a.stdout), (b.returncode, b.stdout))


class AttachTimeout(h.E2ECase):
    def test_lone_stage_gives_up_naming_the_missing_one(self):
        for prog, missing in (("csvpack-converter", "producer"),
                              ("csvpack-packer", "producer"),
                              ("csvpack-producer", "converter")):
            name = self.name("lone")
            csv = h.write_csv(self.path("a.csv"), ["a"], [["1"]])
            t0 = time.monotonic()
            p = h.run([program(prog), "--name", name, "-o", "out",
                       "--attach-timeout", "1", csv], cwd=self.dir,
                      timeout=20, name=name)
            took = time.monotonic() - t0
            self.assertExit(p, 1, prog)
            self.assertIn("no %s joined pipeline %s within 1 s" %
                          (missing, name), p.stderr.decode())
            # 1 s, not the default 60 (with room for a slow machine)
            self.assertLess(took, 15, prog)
            self.assertNoShm(name)

    def test_lone_stage_stops_on_sigterm(self):
        for prog in ("csvpack-converter", "csvpack-packer"):
            name = self.name("term")
            st = h.start([program(prog), "--name", name, "-o", "out"],
                         cwd=self.dir, timeout=20, name=name)
            self.wait_stage(name, prog[len("csvpack-"):])
            os.kill(st.popen.pid, signal.SIGTERM)
            p = st.wait()
            self.assertExit(p, 128 + signal.SIGTERM, prog)
            self.assertIn("stopping: no producer joined", p.stderr.decode())
            self.assertNoShm(name)

    def test_producer_waits_for_late_stages(self):
        # The producer ends its input long before the others come; they
        # still get every row, and nothing is left behind.
        name = self.name("late")
        rows = h.random_rows(11, 300, 3)
        csv = h.write_csv(self.path("late.csv"), ["a", "b", "c"], rows)
        prod = h.start([program("csvpack-producer"), "--name", name, "-o",
                        "out", "-r", "50", "-b", "2", "late.csv"], cwd=self.dir,
                       timeout=60, name=name)
        # It has read (and pushed) its whole input, and goes on waiting.
        self.assertTrue(self.wait_for(lambda: b"1 inputs, 300 rows" in
                                      h.csvpack("status", name,
                                                timeout=10).stdout,
                                      30, step=0.1),
                        "status never showed the 300 rows read")
        self.assertIsNone(prod.popen.poll(), "the producer did not wait")
        conv = h.start([program("csvpack-converter"), "--name", name, "-o",
                        "out", "-r", "50", "-b", "2"], cwd=self.dir,
                       timeout=60, name=name)
        pack = h.start([program("csvpack-packer"), "--name", name, "-o",
                        "out", "-r", "50", "-b", "2"], cwd=self.dir,
                       timeout=60, name=name)
        for st in (prod, conv, pack):
            self.assertExit(st.wait(), 0)
        docs = self.check_archives(self.path("out"), batch=2, rows=50)
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("late.csv", csv)]))
        self.assertNoShm(name)


class Progress(h.E2ECase):
    def setUp(self):
        super().setUp()
        rows = h.random_rows(3, 30000, 6, simple=True)
        self.csv = h.write_csv(self.path("p.csv"), list("abcdef"), rows)

    def test_live_line_on_a_terminal(self):
        # Slow enough for a few frames: a small ring keeps the producer
        # near the converter, so the share done (and the ETA) show.
        rows = h.random_rows(4, 150000, 6, simple=True)
        h.write_csv(self.path("big.csv"), list("abcdef"), rows)
        name = self.name("prog")
        cmd = ("%s --name %s -o out -b 5 -r 500 -l 9 -j 1 --ring-size 64K "
               "big.csv >/dev/null" % (shlex.quote(h.LAUNCHER), name))
        p = on_terminal(cmd, self.dir)
        self.assertExit(p, 0, cmd)
        screen = p.stdout.decode("utf-8", "replace")
        frames = [f for f in re.split(r"[\r\n]", screen) if "rows," in f]
        self.assertTrue(frames, screen[-500:])
        full = [f for f in frames if re.match(
            r"^\d+ rows, [\d.]+ MB/s, \d+ documents, \d+ archives, \d+% of "
            r"[\d.]+ MB, ETA \d+:\d\d\033\[K$", f)]
        self.assertTrue(full, frames)
        self.assertIn("\033[K", screen)          # redrawn in place
        self.assertRegex(screen, r"ETA \d+:\d\d")
        self.assertGreaterEqual(len(frames), 2, screen[-500:])
        self.assertRegex(screen, r"csvpack-packer: 1 inputs, 150000 rows, "
                         r"\d+ documents, \d+ archives")
        self.assertNoShm(name)

    def test_quiet_on_a_terminal_prints_nothing(self):
        name = self.name("quiet")
        cmd = "%s -q --progress --name %s -o out p.csv >/dev/null" % (
            shlex.quote(h.LAUNCHER), name)
        p = on_terminal(cmd, self.dir)
        self.assertExit(p, 0, cmd)
        self.assertEqual(p.stdout.strip(), b"")

    def test_progress_in_a_log_is_a_line_per_archive(self):
        p = self.csvpack("--progress", "-o", "out", "-b", "20", "-r", "500",
                         "p.csv")
        self.assertExit(p, 0)
        lines = [l for l in p.stderr.decode().splitlines()
                 if "progress:" in l]
        self.assertEqual(len(lines), 3, p.stderr.decode())
        self.assertNotIn("\r", p.stderr.decode())
        self.assertIn("3 archives", lines[-1])
        # Not a terminal and not asked: no progress, only the summary.
        p = self.csvpack("-o", "out2", "p.csv")
        self.assertExit(p, 0)
        self.assertNotIn("progress", p.stderr.decode())
        self.assertEqual(len(p.stderr.decode().splitlines()), 1)


class Status(h.E2ECase):
    def test_watch_follows_a_pipeline_until_it_ends(self):
        name = self.name("watch")
        fifo = self.path("in.fifo")
        os.mkfifo(fifo)
        run = h.start([h.LAUNCHER, "--name", name, "-o", "out", "-r", "10",
                       fifo], cwd=self.dir, timeout=60, name=name)
        w = os.open(fifo, os.O_WRONLY)
        try:
            # Three full documents: the rows counter moves a chunk at a
            # time while the input stays open.
            os.write(w, b"a,b\n" + b"".join(b"%d,x\n" % i
                                              for i in range(30)))
            self.assertTrue(self.wait_for(lambda: b"30 rows" in h.csvpack(
                "status", name, timeout=10).stdout, 10, step=0.1),
                "status never showed the 30 rows read")
            s = h.csvpack("status", name, timeout=10)
            self.assertExit(s, 0)
            text = s.stdout.decode()
            self.assertIn("pipeline %s:" % name, text)
            for stage in ("producer", "converter", "packer"):
                self.assertRegex(text, r"\n  %s +pid \d+ " % stage)
            self.assertIn("1 inputs, 30 rows", text)
            self.assertRegex(text, r"converted: \d+ documents")
            self.assertRegex(text, r"ring: +[\d.]+ of [\d.]+ MB")
            watch = h.start([h.LAUNCHER, "status", "--watch", name],
                            timeout=30)
            screen = ("pipeline %s:" % name).encode()
            self.assertTrue(self.wait_for(
                lambda: watch.peek().count(screen) >= 2, 20),
                "status --watch drew fewer than 2 screens in 20 s")
        finally:
            os.close(w)
        self.assertExit(run.wait(), 0)
        p = watch.wait()
        self.assertExit(p, 0, "status --watch")
        text = p.stdout.decode()
        self.assertGreaterEqual(text.count("pipeline %s:" % name), 2, text)
        self.assertTrue(text.endswith("pipeline %s has ended\n" % name),
                        text[-200:])
        self.assertNoShm(name)

    def test_status_says_the_encoding_being_read(self):
        """An input a byte-order mark decided shows its encoding in
        status while it is read (UTF-8 shows none)."""
        name = self.name("enc")
        fifo = self.path("x.fifo")
        os.mkfifo(fifo)
        run = h.start([h.LAUNCHER, "--name", name, "-o", "out", "-r", "5",
                       fifo], cwd=self.dir, timeout=60, name=name)
        w = os.open(fifo, os.O_WRONLY)
        try:
            os.write(w, "\ufeffa,b\n".encode("utf-16-le") + b"".join(
                ("%d,x\n" % i).encode("utf-16-le") for i in range(10)))
            self.assertTrue(self.wait_for(lambda: b"10 rows" in h.csvpack(
                "status", name, timeout=10).stdout, 10, step=0.1),
                "status never showed the 10 rows read")
            text = h.csvpack("status", name, timeout=10).stdout.decode()
            self.assertIn("encoding:  UTF-16LE, by its byte-order mark",
                          text)
        finally:
            os.close(w)
        p = run.wait()
        self.assertExit(p, 0)
        self.assertIn("read as UTF-16LE (its byte-order mark)",
                      p.stderr.decode())
        self.assertNoShm(name)

    def test_cleanup_without_a_name_sweeps_dead_pipelines(self):
        names = [self.name("dead") for _ in range(2)]
        names.append(names[0] + ".v2")   # a dot in a name is allowed
        self.names.append(names[-1])
        csv = h.write_csv(self.path("d.csv"), ["a"], [["1"], ["2"]])
        for n in names:
            # A converter killed mid-wait leaves its pipeline's objects.
            st = h.start([program("csvpack-converter"), "--name", n, "-o",
                          "o-" + n], cwd=self.dir, timeout=20, name=n)
            self.wait_stage(n, "converter")
            st.kill_group()
            st.wait()
            self.assertTrue(h.shm_entries(n))
        # status --watch on a dead pipeline shows it once and ends.
        p = h.csvpack("status", "--watch", names[1], timeout=20)
        self.assertExit(p, 0)
        self.assertIn("converter pid", p.stdout.decode())
        self.assertIn(" dead", p.stdout.decode())
        self.assertTrue(p.stdout.decode().endswith("has ended\n"))
        p = h.csvpack("--cleanup", cwd=self.dir, timeout=20)
        self.assertExit(p, 0)
        for n in names:
            self.assertNoShm(n)
        del csv


    def test_status_of_a_half_made_pipeline(self):
        # A creator killed between sizing its segment and writing the
        # header leaves zeros: fresh, that is a set-up in progress; old,
        # a wreck that --cleanup NAME removes.
        name = self.name("half")
        seg = os.path.join(h.SHM, "csvpack-%d-%s" % (os.getuid(), name))
        with open(seg, "wb") as f:
            f.write(bytes(4096))
        os.chmod(seg, 0o600)
        p = h.csvpack("status", name, timeout=10)
        self.assertExit(p, 0)
        self.assertEqual(p.stdout.decode(),
                         "pipeline %s: being set up\n" % name)
        old = time.time() - 60
        os.utime(seg, (old, old))
        p = h.csvpack("status", "--watch", name, timeout=10)
        self.assertExit(p, 0)
        self.assertEqual(p.stdout.decode().splitlines(), [
            "pipeline %s: left half-made by a stage that died "
            "(csvpack --cleanup %s removes it)" % (name, name),
            "pipeline %s has ended" % name])
        p = h.csvpack("--cleanup", name, timeout=10)
        self.assertExit(p, 0)
        self.assertNoShm(name)


class HandStop(h.E2ECase):
    def test_ctrl_c_to_a_hand_started_producer_stops_all_three(self):
        # By hand nobody else tells the converter and packer: the producer
        # must pass the stop on, and all three wind down in order.
        name = self.name("hstop")
        fifo = self.path("in.fifo")
        os.mkfifo(fifo)
        common = ["--name", name, "-o", "out", "-r", "10", "-b", "2"]
        pack = h.start([program("csvpack-packer")] + common, cwd=self.dir,
                       timeout=30, name=name)
        conv = h.start([program("csvpack-converter")] + common, cwd=self.dir,
                       timeout=30, name=name)
        prod = h.start([program("csvpack-producer")] + common + [fifo],
                       cwd=self.dir, timeout=30, name=name)
        w = os.open(fifo, os.O_WRONLY)
        try:
            os.write(w, b"a,b\n" + b"".join(b"%d,x\n" % i
                                              for i in range(50)))
            self.wait_for(lambda: b"5 documents" in h.csvpack(
                "status", name, timeout=10).stdout, 10, step=0.1)
            os.kill(prod.popen.pid, signal.SIGINT)
            results = [st.wait() for st in (prod, conv, pack)]
        finally:
            os.close(w)
        for p in results:
            self.assertExit(p, 128 + signal.SIGINT, p.args[0])
        docs = self.check_archives(self.path("out"), rows=10)
        self.assertEqual(len(self.rows_of(docs)), 50)
        self.assertNoShm(name)


class HandMismatch(h.E2ECase):
    def check_refused(self, good, bad, message):
        """Producer and converter started with good options, then a packer
        with bad ones: refused (exit 2, message), it withdraws, and a
        packer started right completes the pipeline."""
        name = self.name("mm")
        rows = h.random_rows(21, 120, 2)
        h.write_csv(self.path("m.csv"), ["a", "b"], rows)
        prod = h.start([program("csvpack-producer"), "--name", name] + good
                       + ["-r", "10", "m.csv"], cwd=self.dir, timeout=60,
                       name=name)
        conv = h.start([program("csvpack-converter"), "--name", name] + good,
                       cwd=self.dir, timeout=60, name=name)
        self.wait_stage(name, "converter")
        wrong = h.run([program("csvpack-packer"), "--name", name] + bad,
                      cwd=self.dir, timeout=30, name=name)
        self.assertExit(wrong, 2)
        self.assertIn(message, wrong.stderr.decode())
        self.assertFalse(os.path.exists(self.path("ob", ".csvpack-staging")))
        self.assertIsNone(conv.popen.poll(), "the converter gave up")
        right = h.run([program("csvpack-packer"), "--name", name] + good,
                      cwd=self.dir, timeout=60, name=name)
        self.assertExit(right, 0)
        for st in (prod, conv):
            self.assertExit(st.wait(), 0)
        docs = self.check_archives(self.path("oa"), rows=10)
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("m.csv", self.path("m.csv"))]))
        self.assertNoShm(name)

    def test_other_output_dir_is_refused(self):
        # Before, both ended 0 and the documents stayed in oa's staging.
        self.check_refused(["-o", "oa", "-b", "3"], ["-o", "ob", "-b", "3"],
                           "-o 'ob' is another directory: give every stage "
                           "the same -o")

    def test_other_batch_is_refused(self):
        self.check_refused(["-o", "oa", "-b", "5"], ["-o", "oa", "-b", "7"],
                           "packs 5 documents per archive; -b 7 differs")

    def test_other_xsd_is_refused(self):
        # The converter stages schema.xsd, the packer packs it: a packer
        # with --xsd under a converter without would find none.
        self.check_refused(["-o", "oa", "-b", "5"],
                           ["-o", "oa", "-b", "5", "--xsd"],
                           "runs without --xsd; this stage has it")
