"""make install / make uninstall, as a packager runs them.

Each test runs `make -C REPO install PREFIX=/usr/local DESTDIR=<temp>` and
then looks only at what landed in DESTDIR:

  usr/local/bin/csvpack, csvpack-{producer,converter,packer,admin}   0755
  usr/local/share/man/man1/<page>.1.gz    gzip -9n of docs/<page>.1  0644
  usr/local/share/bash-completion/completions/csvpack                0644

The installed launcher runs the examples with PATH holding only the
installed bin/ and /usr/bin:/bin (so it can only have found its stages
beside itself), and the installed `csvpack verify` says OK.  Every page is
read with `man -l`.  The completion is sourced in a bash without rc files
and driven the way readline drives it (COMP_WORDS, COMP_CWORD, then the
function `complete -p csvpack` names); its options are compared with the
installed `csvpack --help`, parsed here independently.  `make uninstall`
with the same DESTDIR and PREFIX leaves only (empty) directories, and
spares files it did not install.

The binaries installed are make's: those of $CSVPACK_BIN when it is the
tree's bin/ or build/san/bin (SANITIZE=1); make rebuilds them if the
sources changed.
"""

import gzip
import os
import re
import shutil
import stat

import helpers as h

PREFIX = "/usr/local"
PROGRAMS = ["csvpack", "csvpack-producer", "csvpack-converter",
            "csvpack-packer", "csvpack-admin"]
SUBCOMMANDS = ["status", "cleanup", "verify", "locate"]
EXAMPLES = ["customers.csv", "prices.csv"]
MAKE_TIMEOUT = 600
# No make of ours above: a jobserver we cannot reach would only warn.
MAKE_ENV = {"MAKEFLAGS": None, "MAKELEVEL": None, "MFLAGS": None}

if os.path.realpath(h.BIN) == os.path.realpath(
        os.path.join(h.REPO, "build", "san", "bin")):
    MAKE_VARS = ["SANITIZE=1"]
    MAKE_BIN = h.BIN
else:
    MAKE_VARS = []
    MAKE_BIN = os.path.join(h.REPO, "bin")


def help_options(text):
    """The options `csvpack --help` lists: the words starting with '-' at
    the head of a line indented 1-6 blanks, separated by ", "."""
    opts = []
    for line in text.splitlines():
        m = re.match(r"^ {1,6}((?:--?[A-Za-z0-9][\w-]*)(?:, --?[A-Za-z0-9]"
                     r"[\w-]*)*)", line)
        if m:
            opts += m.group(1).split(", ")
    return opts


def files_under(root):
    """{relative path: mode} of everything but directories under root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for f in files:
            full = os.path.join(d, f)
            out[os.path.relpath(full, root)] = os.lstat(full).st_mode
    return out


class InstallTest(h.E2ECase):

    def setUp(self):
        super().setUp()
        self.dest = self.path("dest")
        self.prefix = self.dest + PREFIX
        self.bindir = os.path.join(self.prefix, "bin")
        self.man1 = os.path.join(self.prefix, "share", "man", "man1")
        self.compfile = os.path.join(self.prefix, "share", "bash-completion",
                                     "completions", "csvpack")
        self.clean_env = {"PATH": self.bindir + ":/usr/bin:/bin",
                          "HOME": self.dir}
        self.pages = sorted(f for f in os.listdir(os.path.join(h.REPO, "docs"))
                            if f.endswith(".1"))
        self.assertTrue(self.pages, "no docs/*.1")
        self.make("install")

    def make(self, target):
        p = h.run(["make", "-C", h.REPO, "--no-print-directory", target,
                   "PREFIX=" + PREFIX, "DESTDIR=" + self.dest] + MAKE_VARS,
                  env=MAKE_ENV, timeout=MAKE_TIMEOUT)
        self.assertEqual(p.returncode, 0, "make %s failed (%d): %s%s"
                         % (target, p.returncode,
                            p.stdout.decode("utf-8", "replace")[-2000:],
                            p.stderr.decode("utf-8", "replace")[-3000:]))
        return p

    def installed(self, *args, cwd=None, timeout=h.DEFAULT_TIMEOUT):
        """The installed csvpack, run by name from the clean PATH."""
        return h.run(["csvpack"] + list(args), cwd=cwd or self.dir,
                     env=self.clean_env, timeout=timeout)

    def expected_files(self):
        want = {}
        for p in PROGRAMS:
            want[os.path.join("usr/local/bin", p)] = 0o755
        for page in self.pages:
            want[os.path.join("usr/local/share/man/man1", page + ".gz")] = 0o644
        want["usr/local/share/bash-completion/completions/csvpack"] = 0o644
        return want

    # -- what lands where

    def test_layout(self):
        got = files_under(self.dest)
        want = self.expected_files()
        self.assertEqual(sorted(got), sorted(want),
                         "make install put other files in DESTDIR")
        for rel, mode in sorted(got.items()):
            self.assertTrue(stat.S_ISREG(mode), rel + " is not a regular "
                            "file (the launcher finds its stages through "
                            "its own real path)")
            self.assertEqual(stat.S_IMODE(mode), want[rel],
                             "%s mode %o" % (rel, stat.S_IMODE(mode)))
        with open(os.path.join(self.bindir, "csvpack"), "rb") as f, \
                open(os.path.join(h.REPO, "scripts", "csvpack"), "rb") as g:
            self.assertEqual(f.read(), g.read(),
                             "the installed launcher is not scripts/csvpack")
        for p in PROGRAMS[1:]:
            with open(os.path.join(self.bindir, p), "rb") as f, \
                    open(os.path.join(MAKE_BIN, p), "rb") as g:
                self.assertEqual(f.read(), g.read(),
                                 "installed %s is not make's" % p)

    def test_man_pages_gzip_9n(self):
        for page in self.pages:
            with self.subTest(page=page):
                with open(os.path.join(self.man1, page + ".gz"), "rb") as f:
                    data = f.read()
                # magic, deflate; FLG 0: no name (-n), MTIME 0 (-n), XFL 2:
                # the slowest, best compression (-9).
                self.assertEqual(data[:4], b"\x1f\x8b\x08\x00",
                                 "gzip header: not deflate, or FLG not 0 "
                                 "(a name stored: not -n)")
                self.assertEqual(data[4:8], b"\0\0\0\0",
                                 "gzip MTIME set (not -n)")
                self.assertEqual(data[8], 2, "gzip XFL %d, not 2 (-9)"
                                 % data[8])
                with open(os.path.join(h.REPO, "docs", page), "rb") as f:
                    self.assertEqual(gzip.decompress(data), f.read(),
                                     "the page is not docs/" + page)

    # -- the installed programs

    def test_installed_launcher_runs_examples(self):
        for p in PROGRAMS:
            self.assertEqual(shutil.which(p, path=self.clean_env["PATH"]),
                             os.path.join(self.bindir, p),
                             p + " is not on PATH from the installed bin/")
        indir = self.path("in")
        os.mkdir(indir)
        for e in EXAMPLES:
            shutil.copy(os.path.join(h.REPO, "examples", e), indir)
        name = self.name("inst")
        p = self.installed("--name", name, "-o", "out", "-b", "2", "-r",
                           "500", "-q", *EXAMPLES, cwd=indir)
        self.assertNoShm(name)
        self.assertExit(p, 0, "installed csvpack on the examples")
        self.assertNoLeftover(p)
        self.assertEqual(p.stderr, b"", "-q: nothing on stderr")
        outdir = os.path.join(indir, "out")
        names = h.archive_names(outdir)
        self.assertTrue(names, "no archive")
        self.assertEqual(p.stdout.decode().splitlines(),
                         [os.path.join("out", n) for n in names],
                         "stdout is not one line per archive")
        self.assertOnlyArchives(outdir)
        docs = [d for _, ds in h.read_archives(outdir) for d in ds]
        for i, d in enumerate(docs, 1):
            self.assertEqual(d.sid, i)
            self.assertLessEqual(len(d.rows), 500)
        for ai, (aname, ds) in enumerate(h.read_archives(outdir)):
            self.assertTrue(1 <= len(ds) <= 2, "%s holds %d documents"
                            % (aname, len(ds)))
        h.gzip_test([os.path.join(outdir, n) for n in names])
        want = h.expected_rows([(e, os.path.join(indir, e))
                                for e in EXAMPLES])
        self.assertRowsEqual(self.rows_of(docs), want)
        nrows = len(want)

        # The installed verify, alone and given the inputs.
        for inputs in ([], EXAMPLES):
            with self.subTest(verify_inputs=inputs):
                v = self.installed("verify", "out", *inputs, cwd=indir)
                self.assertEqual((v.returncode, v.stdout), (0, b""),
                                 "installed csvpack verify: exit %d; %s%s"
                                 % (v.returncode, v.stdout[-2000:],
                                    v.stderr[-2000:]))
                self.assertEqual(h.verify_summary(v),
                                 (len(names), len(docs), nrows,
                                  len(EXAMPLES), 0),
                                 "installed csvpack verify: %r" % v.stderr)
                self.assertEqual(h.verify_compared(v), len(inputs))

        # A stage started by hand from PATH, as the README says.
        v = h.run(["csvpack-producer", "--version"], env=self.clean_env)
        self.assertExit(v, 0, "installed csvpack-producer --version")

    def test_man_l_reads_every_page(self):
        man = shutil.which("man", path="/usr/bin:/bin")
        if not man:
            # Not quietly weaker: say it, and read the pages with groff.
            import sys
            sys.stderr.write("test_install: no man(1) here (install-deps "
                             "installs man-db); reading the pages with "
                             "groff -man instead\n")
        env = dict(self.clean_env, MANPAGER="cat", PAGER="cat",
                   MANWIDTH="80", LC_ALL="C.UTF-8", MAN_DISABLE_SECCOMP="1")
        for page in self.pages:
            with self.subTest(page=page):
                gz = os.path.join(self.man1, page + ".gz")
                if man:
                    p = h.run([man, "-l", gz], env=env, timeout=60)
                else:
                    with open(gz, "rb") as f:
                        p = h.run(["groff", "-man", "-Tutf8", "-ww"],
                                  input=gzip.decompress(f.read()), env=env,
                                  timeout=60)
                text = p.stdout.decode("utf-8", "replace")
                self.assertEqual(p.returncode, 0, "man -l %s: exit %d: %s"
                                 % (gz, p.returncode, p.stderr[-2000:]))
                self.assertEqual(p.stderr, b"", "man -l %s warned" % gz)
                self.assertRegex(text, r"(?m)^NAME$")
                self.assertIn(page[:-2], text.replace("\u2010", "-"))
                self.assertGreater(len(text.splitlines()), 10)

    # -- bash completion

    def complete(self, cases, cwd):
        """Drives the installed completion for each case (a list of words,
        the last being completed); returns (complete -p output, [sorted
        candidates of each case])."""
        def q(w):
            return "'" + w.replace("'", "'\\''") + "'"
        script = ['set -u', 'source ' + q(self.compfile),
                  'complete -p csvpack',
                  'fn=$(complete -p csvpack | sed -n "s/.* -F \\([^ ]*\\) .*/\\1/p")',
                  't() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));'
                  ' COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=();'
                  ' local prev=""; [ $# -gt 1 ] && prev=${COMP_WORDS[$# - 2]};'
                  ' "$fn" csvpack "${COMP_WORDS[$# - 1]}" "$prev";'
                  ' echo "@@ ${#COMPREPLY[@]}";'
                  ' [ ${#COMPREPLY[@]} = 0 ] || printf "%s\\n" "${COMPREPLY[@]}"; }']
        for words in cases:
            script.append("t " + " ".join(q(w) for w in words))
        p = h.run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)],
                  cwd=cwd, env=self.clean_env, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, b""),
                         "the completion failed in bash: %r" % p.stderr)
        out = p.stdout.decode("utf-8").split("\n")
        head = out[0]
        results = []
        i = 1
        for words in cases:
            m = re.match(r"^@@ (\d+)$", out[i])
            self.assertIsNotNone(m, "unexpected output %r" % out[i])
            n = int(m.group(1))
            results.append(sorted(out[i + 1:i + 1 + n]))
            i += 1 + n
        return head, results

    def test_completion(self):
        p = self.installed("--help")
        self.assertExit(p, 0, "installed csvpack --help")
        opts = help_options(p.stdout.decode())
        longs = sorted(o for o in opts if o.startswith("--"))
        for o in ("--output", "--batch", "--rows", "--help", "--cleanup"):
            self.assertIn(o, longs, "the test's parse of --help")

        cwd = self.path("c")
        os.makedirs(os.path.join(cwd, "sub dir"))
        os.mkdir(os.path.join(cwd, "sx"))
        for f in ("customers.csv", "s.csv", "with space.csv"):
            open(os.path.join(cwd, f), "w").close()

        cases = [["csvpack", "--"], ["csvpack", "-"],
                 ["csvpack", "st"], ["csvpack", ""],
                 ["csvpack", "-o", ""], ["csvpack", "--output", "s"],
                 ["csvpack", "--output", "=", "s"],
                 ["csvpack", "-b", ""], ["csvpack", "-b", "2", "w"],
                 ["csvpack", "-q", "s"],
                 ["csvpack", "status", "--w"], ["csvpack", "verify", "c"],
                 ["csvpack", "--ro"]]
        prefixes = [o[:-1] for o in longs]
        cases += [["csvpack", pre] for pre in prefixes]
        head, got = self.complete(cases, cwd)
        self.assertEqual(head.strip(), "complete -F _csvpack csvpack")
        r = dict(zip(range(len(cases)), got))
        self.assertEqual(r[0], longs, "csvpack --<TAB>: not the long options "
                         "of csvpack --help")
        self.assertEqual(r[1], sorted(opts), "csvpack -<TAB>: not the options"
                         " of csvpack --help")
        self.assertEqual(r[2], ["status"])
        self.assertEqual(r[3], sorted(SUBCOMMANDS + [
            "customers.csv", "s.csv", "sub dir", "sx", "with space.csv"]),
            "csvpack <TAB>: the subcommands and the files")
        self.assertEqual(r[4], ["sub dir", "sx"], "-o <TAB>: directories only")
        self.assertEqual(r[5], ["sub dir", "sx"], "--output s<TAB>")
        self.assertEqual(r[6], ["sub dir", "sx"], "--output=s<TAB>")
        self.assertEqual(r[7], [], "-b <TAB>: a number, nothing to offer")
        self.assertEqual(r[8], ["with space.csv"], "an input after -b 2")
        self.assertEqual(r[9], ["s.csv", "sub dir", "sx"], "an input after -q")
        self.assertEqual(r[10], ["--watch"])
        self.assertEqual(r[11], ["customers.csv"], "verify's DIR and inputs")
        self.assertEqual(r[12], sorted(o for o in longs
                                       if o.startswith("--ro")))
        self.assertIn("--rows", r[12])
        for k, pre in enumerate(prefixes, 13):
            self.assertEqual(r[k], sorted(o for o in longs
                                          if o.startswith(pre)),
                             "csvpack %s<TAB>" % pre)

    # -- uninstall

    def test_uninstall_leaves_only_directories(self):
        self.make("uninstall")
        self.assertEqual(files_under(self.dest), {},
                         "make uninstall left files")
        self.assertTrue(os.path.isdir(self.bindir))
        # Twice is harmless.
        self.make("uninstall")

    def test_uninstall_spares_other_files(self):
        others = ["usr/local/bin/other-tool",
                  "usr/local/share/man/man1/other.1.gz",
                  "usr/local/share/bash-completion/completions/other"]
        for rel in others:
            with open(os.path.join(self.dest, rel), "w") as f:
                f.write("not csvpack's\n")
        self.make("uninstall")
        self.assertEqual(sorted(files_under(self.dest)), sorted(others),
                         "make uninstall removed more or less than its own")
