"""The README's recipes, run as written.

Each recipe's shell command line is a constant below; it must appear
verbatim in README.md (test_readme_shows_the_tested_commands), and a test
runs it through `bash -c` with bin/ first on PATH, on files it creates, and
checks the real outcome: archives valid and holding exactly the input rows,
and what the recipe says it prints.  Placeholders X / dbg are replaced by a
pipeline name unique to the run.
"""

import gzip
import hashlib
import itertools
import os
import random
import re
import select
import shutil
import signal
import tarfile
import time

import helpers as h
from helpers import E2ECase

UID = os.getuid()
README = os.path.join(h.REPO, "README.md")

# ---------------------------------------------------------------- recipes
# (verbatim in README.md)

FIND_XARGS = "find data -name '*.csv' -print0 | xargs -0 csvpack -o out"

SHA256 = ("csvpack -o out -b 10 -r 500 data/*.csv "
          "| xargs -n1 sha256sum > out.sha256")
SHA256_CHECK = "sha256sum -c out.sha256"

DELIVER = "csvpack -o out --manifest data/*.csv"
DELIVER_VERIFY = "csvpack verify out data/*.csv"
DELIVER_RECEIVE = """\
bad=0
for a in out/*.tgz; do
  d=$(mktemp -d)
  tar -xzf "$a" -C "$d" && (cd "$d" && sha256sum --quiet -c SHA256SUMS) ||
    { echo "$a: FAILED"; bad=1; }
  rm -rf "$d"
done
test $bad = 0
"""

CURL = "curl -sSf file://$PWD/data/big.csv | csvpack -o out -"
PIPEFAIL = "set -o pipefail"

GDB = """\
csvpack-packer   --name dbg -o out & packer=$!
csvpack-producer --name dbg -o out data.csv & producer=$!
gdb -q -batch -ex run -ex bt --args csvpack-converter --name dbg -o out
wait $producer; echo "producer: $?"; wait $packer; echo "packer: $?"
"""

CRASH_RUN = "csvpack --name X -o out data.csv"
CRASH_STATUS = "csvpack status X"
CRASH_LS = "ls /dev/shm | grep csvpack"
CRASH_CLEANUP = "csvpack --cleanup X"
CRASH_RESUME = "csvpack --resume -o out data.csv"

STREAM = "tail -n +1 -f feed.csv | csvpack --flush-after 2 -o out -b 2 -r 1 -"

SHARD_PLAN = "printf '%s\\n' data/*.csv > inputs.txt"
SHARD_PARALLEL = ("parallel --sshlogin host1,host2,host3 --workdir /shared/job"
                  " --jobs 1 \\\n  \"sed -n '{}~3p' inputs.txt | xargs -r -d "
                  "'\\n' csvpack -q --prefix shard{} -o out/shard{}\" "
                  "::: 1 2 3")
# what GNU parallel runs (through the shell) for job {} = 1, 2, 3
SHARD_PARALLEL_JOB = ("sed -n '{}~3p' inputs.txt | xargs -r -d '\\n' "
                      "csvpack -q --prefix shard{} -o out/shard{}")
SHARD_SLURM = """\
i=$SLURM_ARRAY_TASK_ID
sed -n "$i~3p" inputs.txt | xargs -r -d '\\n' csvpack -q --prefix "shard$i" -o "out/shard$i"
"""
SHARD_COLLECT = "mkdir -p target && cp out/shard*/*.tgz target/"

ALL_RECIPES = [FIND_XARGS, SHA256, SHA256_CHECK, DELIVER, DELIVER_VERIFY,
               DELIVER_RECEIVE, CURL, PIPEFAIL, GDB,
               CRASH_RUN, CRASH_STATUS, CRASH_LS, CRASH_CLEANUP, CRASH_RESUME,
               STREAM, SHARD_PLAN, SHARD_PARALLEL, SHARD_SLURM,
               SHARD_COLLECT]


def text(b):
    return b.decode("utf-8", "replace")


def lines(p):
    return text(p.stdout).splitlines()


class RecipeCase(E2ECase):

    def env(self, **extra):
        env = {"PATH": h.BIN + os.pathsep + os.environ.get("PATH", "")}
        env.update(extra)
        return env

    def sh(self, script, cwd=None, timeout=60, name=None, **env):
        """Run script with `bash -c` in self.dir (bin/ first on PATH)."""
        return h.run(["bash", "-c", script], cwd=cwd or self.dir,
                     env=self.env(**env), timeout=timeout, name=name)

    def sh_start(self, script, cwd=None, timeout=60, name=None, **env):
        return h.start(["bash", "-c", script], cwd=cwd or self.dir,
                       env=self.env(**env), timeout=timeout, name=name)

    def require(self, tool, why):
        if shutil.which(tool) is None:
            self.fail("%s is not installed, and the README recipe %s needs "
                      "it (scripts/install-deps should install it)"
                      % (tool, why))

    def assertSh(self, p, code, what):
        self.assertEqual(p.returncode, code,
                         "%s: exit %d, expected %d\nstdout: %s\nstderr: %s"
                         % (what, p.returncode, code, text(p.stdout)[-2000:],
                            text(p.stderr)[-3000:]))

    def archives_in(self, outdir):
        try:
            return h.archive_names(outdir)
        except FileNotFoundError:
            return []

    def check_prefixed(self, outdir, prefix):
        """check_archives for archives named PREFIX-NNNNNN.tgz: names
        consecutive from 1, members NNNNNN.xml in sid order from 1, gzip -t,
        xmllint; returns the Docs in order."""
        names = h.archive_names(outdir)
        self.assertGreater(len(names), 0, "no archive in " + outdir)
        self.assertEqual(names, ["%s-%06d.tgz" % (prefix, i)
                                 for i in range(1, len(names) + 1)],
                         "archives in %s not named %s-000001.tgz.. "
                         "consecutively" % (outdir, prefix))
        docs = []
        for n in names:
            with tarfile.open(os.path.join(outdir, n), "r:gz") as tf:
                members = tf.getmembers()
                self.assertGreater(len(members), 0, n + " is empty")
                for m in members:
                    self.assertTrue(m.isreg(), "%s:%s" % (n, m.name))
                    self.assertEqual(m.name, "%06d.xml" % (len(docs) + 1),
                                     "%s: members not in sid order" % n)
                    docs.append(h.Doc(tf.extractfile(m).read(), m, n))
        for d in docs:
            self.assertEqual(d.member.name, "%06d.xml" % d.sid)
        h.gzip_test([os.path.join(outdir, n) for n in names])
        h.xmllint_docs([d.data for d in docs])
        return docs


# ---------------------------------------------------------------- README


class ReadmeRecipes(RecipeCase):

    def test_readme_shows_the_tested_commands(self):
        """What these tests run is what the README shows, character for
        character (so the two cannot drift apart)."""
        with open(README, encoding="utf-8") as f:
            readme = f.read()
        for sec in ("## Recipes", "## Going past one machine"):
            self.assertTrue("\n" + sec + "\n" in readme,
                            "README.md has no section %r" % sec)
        self.assertLess(readme.index("### Running a stage by hand"),
                        readme.index("## Recipes"))
        self.assertLess(readme.index("## Recipes"),
                        readme.index("## Formats"))
        # the job command the shard tests run is the one parallel runs
        self.assertIn('"%s"' % SHARD_PARALLEL_JOB, SHARD_PARALLEL)
        missing = [cmd for cmd in ALL_RECIPES if cmd not in readme]
        self.assertEqual(missing, [], "README.md lacks these tested "
                         "recipes, character for character")


# ---------------------------------------------------------------- 1, 2, 3


class ManyFiles(RecipeCase):

    def test_find_print0_xargs(self):
        """find -print0 | xargs -0 csvpack: nested dirs, names with
        spaces, and a file that is not *.csv left alone."""
        files = {
            "data/top.csv": (["id", "v"], h.random_rows(101, 57, 2)),
            "data/2024 q1/sales east.csv": (["a", "b", "c"],
                                            h.random_rows(102, 211, 3)),
            "data/2024 q1/deep er/x  y.csv": (["k"],
                                              h.random_rows(103, 9, 1)),
            "data/plain/z.csv": (["p", "q"], h.random_rows(104, 1, 2)),
            "data/plain/empty.csv": (["only", "header"], []),
        }
        for rel, (hdr, rows) in files.items():
            h.write_csv(self.path(rel), hdr, rows)
        h.write_bytes(self.path("data/plain/notes.txt"), "x,y\n1,2\n")
        p = self.sh(FIND_XARGS)
        self.assertSh(p, 0, FIND_XARGS)
        # the order find lists them in (directory order) is the order of
        # the inputs
        f = self.sh("find data -name '*.csv' -print0")
        order = [n for n in text(f.stdout).split("\0") if n]
        self.assertEqual(sorted(order), sorted(files))
        docs = self.check_archives(self.path("out"), batch=100, rows=1000)
        want = h.expected_rows([(n, self.path(n)) for n in order])
        self.assertEqual(len(want), 57 + 211 + 9 + 1)
        self.assertRowsEqual(self.rows_of(docs), want)
        self.assertIn("data/2024 q1/deep er/x  y.csv",
                      {d.source for d in docs})
        self.assertEqual(lines(p), ["out/000001.tgz"])
        self.assertOnlyArchives(self.path("out"))


class Checksums(RecipeCase):

    def test_sha256_of_each_archive_as_it_is_finished(self):
        given = []
        for i, n in enumerate((3000, 1, 2222)):
            rel = "data/f%d.csv" % i
            h.write_csv(self.path(rel), ["a", "b", "c"],
                        h.random_rows(200 + i, n, 3, simple=True))
            given.append((rel, self.path(rel)))
        p = self.sh(SHA256)
        self.assertSh(p, 0, SHA256)
        out = self.path("out")
        docs = self.check_archives(out, batch=10, rows=500,
                                   inputs=[g for g, _ in given])
        self.assertRowsEqual(self.rows_of(docs), h.expected_rows(given))
        names = h.archive_names(out)
        self.assertEqual(len(names), 2)      # 6 + 1 + 5 = 12 documents
        with open(self.path("out.sha256"), encoding="utf-8") as f:
            sums = f.read().splitlines()
        want = []
        for n in names:
            with open(os.path.join(out, n), "rb") as fh:
                want.append("%s  out/%s" % (hashlib.sha256(fh.read())
                                            .hexdigest(), n))
        self.assertEqual(sums, want, "sha256sum lines: every archive, in "
                         "order, with the hash of its final bytes")
        c = self.sh(SHA256_CHECK)
        self.assertSh(c, 0, SHA256_CHECK)
        self.assertEqual(lines(c), ["out/%s: OK" % n for n in names])


class Delivery(RecipeCase):

    def test_proving_a_delivery_complete(self):
        """The run with --manifest, verify with the inputs, the receiver's
        loop: all good; then a value changed inside an archive (its gzip
        and tar still right) and a row changed in an input: verify and
        the receiver's loop both fail, naming them."""
        given = [("data/big.csv", h.write_csv(
            self.path("data", "big.csv"), ["id", "name", "qty"],
            [["b%d" % i, "nom %d é" % i, str(i * 3)]
             for i in range(1, 2501)]))]
        for k in range(1, 121):
            rel = "data/part-%03d.csv" % k
            given.append((rel, h.write_csv(self.path(rel), ["k", "v"], [
                ["p%d-%d" % (k, i), "v %d" % (k * i)] for i in range(20)])))
        tmp = self.path("tmp")
        os.makedirs(tmp)
        p = self.sh(DELIVER)
        self.assertSh(p, 0, DELIVER)
        self.assertEqual(lines(p), ["out/000001.tgz", "out/000002.tgz"])
        out = self.path("out")
        docs, last = [], []
        for n in h.archive_names(out):
            with tarfile.open(os.path.join(out, n), "r:gz") as tf:
                ms = tf.getmembers()
                last.append(ms[-1].name)
                docs += [h.Doc(tf.extractfile(m).read(), m, n)
                         for m in ms[:-1]]
        self.assertEqual(last, ["SHA256SUMS"] * 2)
        self.assertEqual([d.member.name for d in docs],
                         ["%06d.xml" % i for i in range(1, 124)])
        self.assertRowsEqual(self.rows_of(docs), h.expected_rows(given))

        v = self.sh(DELIVER_VERIFY)
        self.assertSh(v, 0, DELIVER_VERIFY)
        self.assertEqual(text(v.stdout), "")
        self.assertIn("csvpack: verified 2 archives, 123 documents, 4900 "
                      "rows of 121 inputs, compared with 121 given: OK\n",
                      text(v.stderr))
        r = self.sh(DELIVER_RECEIVE, TMPDIR=tmp)
        self.assertSh(r, 0, "the receiver's loop")
        self.assertEqual((text(r.stdout), text(r.stderr)), ("", ""))
        self.assertEqual(os.listdir(tmp), [], "the loop left directories")

        # Damage: one value of 000107.xml (data/part-104.csv) changed in
        # place; the archive is otherwise right (gzip -t and tar pass).
        a2 = os.path.join(out, "000002.tgz")
        with open(a2, "rb") as f:
            tar = bytearray(gzip.decompress(f.read()))
        old = b"<k>p104-7</k>"
        self.assertEqual(tar.count(old), 1)
        i = tar.index(old)
        tar[i:i + len(old)] = b"<k>p104-8</k>"
        with open(a2, "wb") as f:
            f.write(gzip.compress(bytes(tar), mtime=0))
        h.gzip_test([a2])
        h.gnu_tar_list(a2)
        # and a value of data/big.csv changed after the run
        rows = [r_[1] for r_ in h.read_csv_rows(self.path("data", "big.csv"))]
        rows[1500][2] = "-1"
        h.write_csv(self.path("data", "big.csv"), ["id", "name", "qty"],
                    rows)

        v = self.sh(DELIVER_VERIFY)
        self.assertSh(v, 1, DELIVER_VERIFY + " (damaged)")
        got = lines(v)
        self.assertIn("out/000002.tgz 000107.xml: SHA-256 does not match "
                      "SHA256SUMS", got)
        self.assertTrue(any(re.match(
            r"data/big\.csv:1502: row 1501 differs from out/000001\.tgz "
            r"000002\.xml row 501: field 3 \(qty\)", ln) for ln in got), got)
        self.assertTrue(any(re.match(
            r"data/part-104\.csv:9: row 8 differs from out/000002\.tgz "
            r"000107\.xml row 8: field 1 \(k\)", ln) for ln in got), got)
        self.assertEqual(len(got), 3, got)
        self.assertIn("csvpack: verified 2 archives, 123 documents, 4900 "
                      "rows of 121 inputs, compared with 121 given: 3 "
                      "problems\n", text(v.stderr))
        r = self.sh(DELIVER_RECEIVE, TMPDIR=tmp)
        self.assertSh(r, 1, "the receiver's loop (damaged)")
        self.assertEqual(lines(r), ["000107.xml: FAILED", "out/000002.tgz: "
                                    "FAILED"])
        self.assertEqual(os.listdir(tmp), [], "the loop left directories")


class Download(RecipeCase):

    def test_curl_file_url_to_stdin(self):
        self.require("curl", "`%s`" % CURL)
        rows = h.random_rows(300, 4000, 4)
        f = h.write_csv(self.path("data", "big.csv"), ["w", "x", "y", "z"],
                        rows)
        p = self.sh(PIPEFAIL + "\n" + CURL)
        self.assertSh(p, 0, CURL)
        docs = self.check_archives(self.path("out"), batch=100, rows=1000)
        self.assertRowsEqual(self.rows_of(docs), h.expected_rows([("-", f)]))
        self.assertEqual({d.source for d in docs}, {"-"})
        self.assertEqual(lines(p), ["out/000001.tgz"])

    def test_curl_failure_fails_the_line_with_pipefail(self):
        """The README's reason for `set -o pipefail`: a failed download
        (here: no such file) makes the line fail; csvpack saw empty input
        and made nothing."""
        self.require("curl", "`%s`" % CURL)
        os.makedirs(self.path("data"))
        p = self.sh(PIPEFAIL + "\n" + CURL)
        self.assertNotEqual(p.returncode, 0, "a failed curl | csvpack with "
                            "pipefail exited 0; stderr: %s" % text(p.stderr))
        self.assertIn("curl", text(p.stderr))
        self.assertEqual(self.archives_in(self.path("out")), [])


# ---------------------------------------------------------------- 4, stages


class HandStarted(RecipeCase):

    def test_gdb_on_the_converter(self):
        """The converter runs under gdb while producer and packer run in the
        background; the pipeline completes."""
        self.require("gdb", "`gdb -q -batch -ex run -ex bt --args "
                     "csvpack-converter ...`")
        name = self.name("dbg")
        f = h.write_csv(self.path("data.csv"), ["id", "name", "note"],
                        h.random_rows(400, 2345, 3))
        script = GDB.replace("dbg", name)
        # Under `make sanitize` LeakSanitizer cannot run under ptrace and
        # turns a clean exit into 1; leaks are checked by every other run.
        p = self.sh(script, name=name, timeout=90,
                    ASAN_OPTIONS="detect_leaks=0")
        out, err = text(p.stdout), text(p.stderr)
        self.assertRegex(out + err, r"\[Inferior 1 \(process \d+\) exited "
                         r"normally\]", "the converter under gdb did not "
                         "exit 0:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("producer: 0\n", out, err)
        self.assertIn("packer: 0\n", out, err)
        self.assertEqual(re.findall(r"(?m)^out/\d{6}\.tgz$", out),
                         ["out/000001.tgz"], "the packer prints the paths")
        self.assertNoShm(name)
        self.assertEqual(p.leftover, [])
        docs = self.check_archives(self.path("out"), batch=100, rows=1000)
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("data.csv", f)]))
        self.assertOnlyArchives(self.path("out"))

    def test_stages_started_in_any_order(self):
        """All 6 start orders, with random 0-0.5 s pauses between the
        starts: every stage exits 0 and the archives hold every row."""
        rnd = random.Random(20241125)
        f = h.write_csv(self.path("in.csv"), ["a", "b", "c"],
                        h.random_rows(500, 777, 3))
        want = h.expected_rows([("in.csv", f)])
        stages = {"producer": h.PRODUCER, "converter": h.CONVERTER,
                  "packer": h.PACKER}
        for order in itertools.permutations(sorted(stages)):
            delays = [round(rnd.uniform(0, 0.5), 3) for _ in range(2)]
            with self.subTest(order=order, delays=delays):
                name = self.name("ord")
                out = self.path("out-" + "-".join(order))
                procs = {}
                for i, st in enumerate(order):
                    if i:
                        time.sleep(delays[i - 1])
                    args = [stages[st], "--name", name, "-o", out,
                            "-b", "3", "-r", "20", "-q"]
                    if st == "producer":
                        args.append("in.csv")
                    procs[st] = h.start(args, cwd=self.dir, name=name,
                                        timeout=60)
                results = {st: pr.wait() for st, pr in procs.items()}
                for st in order:
                    self.assertExit(results[st], 0, "%s (start order %s, "
                                    "pauses %s)" % (st, order, delays))
                self.assertNoShm(name)
                docs = self.check_archives(out, batch=3, rows=20,
                                           tar_check=False)
                self.assertRowsEqual(self.rows_of(docs), want)
                self.assertEqual(len(lines(results["packer"])),
                                 len(h.archive_names(out)))


# ---------------------------------------------------------------- 5


class Crash(RecipeCase):

    def test_cleanup_and_resume_after_sigkill(self):
        name = self.name("crash")
        rows = [["r%d" % i, "v%d" % i, "w"] for i in range(250000)]
        full = h.write_csv(self.path("full.csv"), ["a", "b", "c"], rows)
        with open(full, "rb") as fh:
            data = fh.read()
        # The first run reads data.csv while it is still being written: a
        # FIFO of that name, held open by us, fed 150,000 rows.
        cut = 0
        for _ in range(150001):
            cut = data.index(b"\n", cut) + 1
        fifo = self.path("data.csv")
        os.mkfifo(fifo)
        fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        try:
            run = self.sh_start(CRASH_RUN.replace("X", name), name=name)
            pos, deadline = 0, time.monotonic() + 30
            while pos < cut and time.monotonic() < deadline:
                _, w, _ = select.select([], [fd], [], 0.2)
                if w:
                    try:
                        pos += os.write(fd, data[pos:min(cut, pos + 65536)])
                    except BlockingIOError:
                        pass
            self.assertEqual(pos, cut, "the pipeline stopped reading")
            out = self.path("out")
            staging = os.path.join(out, ".csvpack-staging")

            def staged():
                try:
                    return [e for e in os.listdir(staging)
                            if h.MEMBER_RE.match(e)]
                except FileNotFoundError:
                    return []
            self.assertTrue(self.wait_for(
                lambda: self.archives_in(out) and len(staged()) >= 40, 30),
                "no archive and 40 staged documents 30 s after 150,000 rows"
                "; out: %r" % (os.listdir(out) if os.path.isdir(out) else
                               None))
            self.assertIsNone(run.popen.poll())

            # While it runs, --cleanup refuses and touches nothing.
            ipc = h.shm_entries(name)
            self.assertEqual(len(ipc), 5, ipc)
            c = self.sh(CRASH_CLEANUP.replace("X", name))
            self.assertNotEqual(c.returncode, 0, "--cleanup of a running "
                                "pipeline succeeded")
            self.assertIn("running", text(c.stderr))
            self.assertEqual(h.shm_entries(name), ipc)

            # The crash: SIGKILL to the launcher's whole process group.
            members = h.group_members(run.popen.pid)
            for st in ("producer", "converter", "packer"):
                self.assertTrue(any("csvpack-" + st in cmd
                                    for _, cmd in members), members)
            run.kill_group()
            run.popen.wait()
            self.assertTrue(self.wait_for(
                lambda: not h.group_members(run.popen.pid), 5))
        finally:
            os.close(fd)
        self.assertEqual(h.shm_entries(name), ipc,
                         "after a SIGKILL nobody removed the IPC objects")

        s = self.sh(CRASH_STATUS.replace("X", name))
        self.assertSh(s, 0, CRASH_STATUS)
        st = text(s.stdout)
        self.assertIn(name, st)
        self.assertEqual(len(re.findall(r"(?m)^\s*(producer|converter|"
                                        r"packer)\b.*\bdead\b", st)), 3, st)
        ls = self.sh(CRASH_LS)
        self.assertSh(ls, 0, CRASH_LS)
        self.assertIn("csvpack-%d-%s\n" % (UID, name), text(ls.stdout))
        c = self.sh(CRASH_CLEANUP.replace("X", name))
        self.assertSh(c, 0, CRASH_CLEANUP)
        self.assertEqual(h.shm_entries(name), [],
                         "IPC objects of %s left after --cleanup" % name)

        # The input, complete now, under the same name; resume.
        os.unlink(fifo)
        os.rename(full, fifo)
        before = self.archives_in(out)
        r = self.sh(CRASH_RESUME)
        self.assertSh(r, 0, CRASH_RESUME)
        self.assertRegex(text(r.stderr), r"packing \d+ documents? an earlier"
                         r" run left")
        self.assertRegex(text(r.stderr), r"--resume: skipped \d+ rows")
        self.assertEqual(lines(r), ["out/" + n for n in
                                    self.archives_in(out) if n not in before])
        docs = self.check_archives(out, rows=1000, inputs=["data.csv"])
        self.assertRowsEqual(self.rows_of(docs),
                             h.expected_rows([("data.csv", fifo)]),
                             "after crash + resume, every row exactly once")
        self.assertOnlyArchives(out)
        self.assertEqual(h.shm_entries(name), [])


# ---------------------------------------------------------------- 6


class Stream(RecipeCase):

    def test_tail_f_with_flush_after(self):
        """Archives appear while the input still flows; a partial batch is
        packed --flush-after seconds later; killing tail ends the run."""
        feed = self.path("feed.csv")
        # More than tail's default 10 lines already there (why -n +1).
        pre = [["p%d" % i, "pre"] for i in range(12)]
        h.write_csv(feed, ["id", "v"], pre)
        run = self.sh_start(STREAM, timeout=60)
        out = self.path("out")
        self.assertTrue(self.wait_for(
            lambda: len(self.archives_in(out)) >= 6, 10),
            "the 12 rows already in feed.csv were not archived within 10 s "
            "(archives: %r)" % self.archives_in(out))
        appended = []
        # 14 rows in pairs, one write each, 1.1 s apart: each pair is a
        # full batch at once, so no stall of the machine can make a
        # --flush-after hand-over split one (the archive count is exact).
        for i in range(0, 14, 2):
            pair = [["s%d" % j, "t=%.1f" % (j * 0.55)] for j in (i, i + 1)]
            with open(feed, "a", encoding="utf-8") as fh:
                fh.write("".join(",".join(row) + "\n" for row in pair))
            appended += pair
            time.sleep(1.1)
        flowing = len(self.archives_in(out))
        self.assertGreaterEqual(flowing - 6, 2, "fewer than 2 archives "
                                "made from the appended rows while they "
                                "were still flowing")
        # The 15th row alone: half a batch.
        row = ["s14", "t=7.7"]
        with open(feed, "a", encoding="utf-8") as fh:
            fh.write(",".join(row) + "\n")
        appended.append(row)
        # 27 rows = 27 documents = 14 archives; the 14th holds one document
        # and is packed only thanks to --flush-after.
        flushed = self.wait_for(lambda: len(self.archives_in(out)) >= 14, 8)
        tails = [pid for pid, cmd in h.group_members(run.popen.pid)
                 if cmd.startswith("tail ")]
        self.assertEqual(len(tails), 1, h.group_members(run.popen.pid))
        os.kill(tails[0], signal.SIGTERM)
        p = run.wait()
        self.assertTrue(flushed, "--flush-after 2: the last, partial batch "
                        "was not packed within 8 s while the stream stayed "
                        "open (archives: %r)" % self.archives_in(out))
        self.assertSh(p, 0, STREAM + " (tail killed with SIGTERM)")
        self.assertEqual(p.leftover, [])
        docs = self.check_archives(out, rows=1)
        self.assertRowsEqual(
            [vals for _, _, vals in self.rows_of(docs)], pre + appended)
        self.assertEqual({d.source for d in docs}, {"-"})
        names = h.archive_names(out)
        self.assertEqual(len(names), 14)
        self.assertEqual(lines(p), ["out/" + n for n in names])
        self.assertOnlyArchives(out)

    def test_tail_f_ctrl_c(self):
        """Ctrl-C (SIGINT to the whole foreground group: tail, launcher and
        stages) stops the stream: exit 130, what was converted is packed."""
        feed = self.path("feed.csv")
        rows = [["c%d" % i, "x" * i] for i in range(5)]
        h.write_csv(feed, ["id", "v"], rows)
        # The shell around the line (an interactive one, at a terminal)
        # survives the Ctrl-C and reports the line's status; a bash -c
        # would kill itself with SIGINT too, so it gets a trap.  (Trapped,
        # not ignored: tail and csvpack get SIGINT's default disposition.)
        run = self.sh_start("trap : INT\n" + STREAM + "\n"
                            "echo \"status: ${PIPESTATUS[*]}\" >&2",
                            timeout=60)
        out = self.path("out")
        # 5 rows: 2 full batches at once, the 3rd (1 document) 2 s later;
        # each archive is printed once it stands.
        self.assertTrue(self.wait_for(
            lambda: len(self.archives_in(out)) >= 3 and
            len(run.peek().splitlines()) >= 3, 10),
            "archives: %r; printed: %r" % (self.archives_in(out),
                                           run.peek()))
        os.killpg(run.popen.pid, signal.SIGINT)
        p = run.wait()
        self.assertSh(p, 0, "the shell around the line")
        self.assertRegex(text(p.stderr), r"(?m)^status: \d+ 130$",
                         "csvpack's exit status after Ctrl-C: 130 wanted")
        self.assertEqual(p.leftover, [])
        docs = self.check_archives(out, batch=2, rows=1)
        self.assertEqual([v for _, _, v in self.rows_of(docs)], rows)
        self.assertEqual(len(lines(p)), 3)


# ---------------------------------------------------------------- 7


class Shards(RecipeCase):

    INPUTS = {"data/a.csv": 1500, "data/b c.csv": 20, "data/d.csv": 0,
              "data/e.csv": 999, "data/f g.csv": 3001, "data/h.csv": 7,
              "data/i.csv": 400}

    def make_inputs(self, base):
        paths = {}
        for k, (rel, n) in enumerate(sorted(self.INPUTS.items())):
            paths[rel] = h.write_csv(os.path.join(base, rel), ["k", "v"],
                                     h.random_rows(600 + k, n, 2))
        p = self.sh(SHARD_PLAN, cwd=base)
        self.assertSh(p, 0, SHARD_PLAN)
        with open(os.path.join(base, "inputs.txt"), encoding="utf-8") as f:
            plan = f.read().splitlines()
        self.assertEqual(plan, sorted(self.INPUTS))
        return paths, plan

    def check_shards(self, base, paths, plan, results):
        for i, p in results:
            self.assertSh(p, 0, "shard %d" % i)
        seen = []
        for i in (1, 2, 3):
            mine = plan[i - 1::3]
            outdir = os.path.join(base, "out", "shard%d" % i)
            docs = self.check_prefixed(outdir, "shard%d" % i)
            self.assertRowsEqual(self.rows_of(docs), h.expected_rows(
                [(n, paths[n]) for n in mine]), "shard %d" % i)
            self.assertOnlyArchives(outdir, preexisting=[
                n for n in os.listdir(outdir) if n.startswith("shard")])
            self.assertIn(h.JOURNAL, os.listdir(outdir))
            self.assertEqual(lines(results[i - 1][1]),
                             ["out/shard%d/%s" % (i, n)
                              for n in h.archive_names(outdir)])
            seen.extend(self.rows_of(docs))
        # every input row in exactly one shard
        want = h.expected_rows([(n, paths[n]) for n in plan])
        self.assertEqual(sorted(map(repr, seen)), sorted(map(repr, want)))
        # all archives in one shared target: no name collides
        c = self.sh(SHARD_COLLECT, cwd=base)
        self.assertSh(c, 0, SHARD_COLLECT)
        got = sorted(os.listdir(os.path.join(base, "target")))
        all_names = sorted(n for i in (1, 2, 3) for n in h.archive_names(
            os.path.join(base, "out", "shard%d" % i)))
        self.assertEqual(got, all_names)
        self.assertIn("shard1-000001.tgz", got)
        self.assertIn("shard3-000001.tgz", got)

    def test_job_array_shards(self):
        """The SLURM job-array body, run as tasks 1, 2, 3 at once."""
        base = self.dir
        paths, plan = self.make_inputs(base)
        runs = [(i, self.sh_start(SHARD_SLURM, SLURM_ARRAY_TASK_ID=i,
                                  timeout=60)) for i in (1, 2, 3)]
        results = [(i, r.wait()) for i, r in runs]
        self.check_shards(base, paths, plan, results)

    def test_parallel_job_command(self):
        """The command GNU parallel runs on each host for {} = 1, 2, 3
        (run here, at once, as the local equivalent)."""
        base = self.path("job")
        os.makedirs(base)
        paths, plan = self.make_inputs(base)
        runs = [(i, self.sh_start(SHARD_PARALLEL_JOB.replace("{}", str(i)),
                                  cwd=base, timeout=60)) for i in (1, 2, 3)]
        results = [(i, r.wait()) for i, r in runs]
        self.check_shards(base, paths, plan, results)

    def test_output_dir_in_use_is_refused(self):
        """Why each shard needs its own -o: a second pipeline on a dir in
        use is refused (exit 1, a clear message), the first is untouched."""
        h.write_csv(self.path("x.csv"), ["k", "v"], [["1", "2"]])
        fifo = self.path("slow.csv")
        os.mkfifo(fifo)
        fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        try:
            os.write(fd, b"k,v\na,b\n")
            first = self.sh_start("csvpack -q --prefix shard1 -o out "
                                  "slow.csv", timeout=60)
            # The owner's name is written into the lock once it is held.
            lock = self.path("out", ".csvpack.lock")
            self.assertTrue(self.wait_for(lambda: os.path.exists(lock) and
                                          os.path.getsize(lock) > 0, 10))
            second = self.sh("csvpack -q --prefix shard2 -o out x.csv")
            self.assertSh(second, 1, "a second csvpack on out/")
            self.assertRegex(text(second.stderr),
                             r"out is in use by pipeline \S+; one pipeline "
                             r"per output directory")
            # Said once, before any stage started: no stage's noise.
            self.assertEqual(len(text(second.stderr).splitlines()), 1,
                             text(second.stderr))
            self.assertIsNone(first.popen.poll())
        finally:
            os.close(fd)
        p = first.wait()
        self.assertSh(p, 0, "the first pipeline")
        self.assertEqual(h.archive_names(self.path("out")),
                         ["shard1-000001.tgz"])
        docs = self.check_prefixed(self.path("out"), "shard1")
        self.assertEqual(self.rows_of(docs), [("slow.csv", 2, ["a", "b"])])
