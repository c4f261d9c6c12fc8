"""--manifest (issue 12): a last member SHA256SUMS in every archive.

A run over several inputs with -b 3 -r 7 --manifest: every archive's last
member is SHA256SUMS, with the header every member has (0644, 0/0, no owner
names, the same mtime); `tar -xzf` and `sha256sum -c SHA256SUMS` in a fresh
directory pass for each archive; the names listed are exactly the other
members, in order, and each hash is hashlib's of the member's bytes; one
byte of a document flipped after extraction makes `sha256sum -c` fail.
`csvpack-packer --dir ... --manifest` does the same.  Without --manifest
no SHA256SUMS member, and each archive's uncompressed tar stream is that of
the --manifest run with the SHA256SUMS member (header, body, padding) cut
out, byte for byte: the option adds that member and changes nothing else.
"""

import gzip
import hashlib
import os
import random
import tarfile

import helpers as h

SUMS = "SHA256SUMS"
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def members(path):
    """[(TarInfo, bytes)] of an archive, in tar order."""
    with tarfile.open(path, "r:gz") as tf:
        return [(m, tf.extractfile(m).read()) for m in tf.getmembers()]


def sums_lines(data):
    """SHA256SUMS' body as [(hash, name)], checking each line's form."""
    text = data.decode("ascii")
    assert text.endswith("\n"), repr(text[-80:])
    out = []
    for line in text[:-1].split("\n"):
        digest, sep, name = line[:64], line[64:66], line[66:]
        assert sep == "  " and len(digest) == 64, repr(line)
        assert digest == digest.lower() and int(digest, 16) >= 0, repr(line)
        out.append((digest, name))
    return out


class Manifest(h.E2ECase):
    def make_inputs(self, n=3):
        paths = []
        for i in range(n):
            rows = h.random_rows(100 + i, 25 + 9 * i, 4)
            p = self.path("in%d.csv" % i)
            h.write_csv(p, ["a", "b", "c", "d"], rows)
            paths.append(p)
        return paths

    def sha256sum_c(self, archive, tag):
        """Extracts archive with tar into a fresh directory and runs
        `sha256sum -c SHA256SUMS` there; returns (that run, the dir)."""
        d = self.path("x-" + tag)
        os.makedirs(d)
        p = h.run(["tar", "-xzf", archive, "-C", d], timeout=60)
        self.assertExit(p, 0, "tar -xzf " + archive)
        return h.run(["sha256sum", "-c", SUMS], cwd=d, timeout=60), d

    def check_manifest(self, outdir):
        """Every archive in outdir ends with a right SHA256SUMS; returns
        {archive: [(TarInfo, bytes)]}."""
        names = h.archive_names(outdir)
        self.assertTrue(names)
        seen = {}
        for a in names:
            ms = members(os.path.join(outdir, a))
            last, body = ms[-1]
            self.assertEqual(last.name, SUMS, a)
            self.assertEqual([m.name for m, _ in ms].count(SUMS), 1, a)
            self.assertTrue(last.isreg())
            self.assertEqual((last.mode, last.uid, last.gid, last.uname,
                              last.gname), (0o644, 0, 0, "", ""), a)
            self.assertEqual({m.mtime for m, _ in ms}, {ms[0][0].mtime}, a)
            self.assertEqual(sums_lines(body),
                             [(hashlib.sha256(data).hexdigest(), m.name)
                              for m, data in ms[:-1]], a)
            self.assertTrue(all(h.MEMBER_RE.match(m.name)
                                for m, _ in ms[:-1]), a)
            p, _ = self.sha256sum_c(os.path.join(outdir, a), a)
            self.assertExit(p, 0, "sha256sum -c in " + a)
            self.assertEqual(p.stdout.decode().count(": OK\n"),
                             len(ms) - 1, p.stdout)
            seen[a] = ms
        return seen

    def test_pipeline_manifest(self):
        inputs = self.make_inputs()
        out = self.path("out")
        p = self.csvpack("-q", "-o", out, "-b", "3", "-r", "7", "--manifest",
                         *inputs, env=EPOCH)
        self.assertExit(p, 0)
        seen = self.check_manifest(out)
        self.assertGreater(len(seen), 2)
        # The documents are the run's: every row of every input, once.
        docs = [h.Doc(data, m) for ms in seen.values() for m, data in ms[:-1]]
        self.assertEqual(sum(len(d.rows) for d in docs),
                         sum(25 + 9 * i for i in range(len(inputs))))
        self.assertEqual(max(len(ms) - 1 for ms in seen.values()), 3)

    def test_a_changed_document_fails_sha256sum(self):
        inputs = self.make_inputs(1)
        out = self.path("out")
        p = self.csvpack("-q", "-o", out, "-b", "3", "-r", "7", "--manifest",
                         *inputs)
        self.assertExit(p, 0)
        archive = os.path.join(out, "000001.tgz")
        ms = members(archive)
        victim = ms[1][0].name
        rnd = random.Random(12)
        _, d = self.sha256sum_c(archive, "flip")
        with open(os.path.join(d, victim), "r+b") as f:
            data = bytearray(f.read())
            i = rnd.randrange(len(data))
            data[i] ^= 0x01
            f.seek(0)
            f.write(data)
        p = h.run(["sha256sum", "-c", SUMS], cwd=d, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(("%s: FAILED" % victim).encode(), p.stdout)
        self.assertIn(("%s: OK" % ms[0][0].name).encode(), p.stdout)

    def test_packer_dir_manifest(self):
        src = self.path("docs")
        os.makedirs(src)
        for i in range(1, 6):
            h.write_csv(self.path("in%d.csv" % i), ["n", "v"],
                        [[str(i), "x" * i * 300], [str(-i), "<&>"]])
            p = h.converter("--stdout", "in%d.csv" % i, cwd=self.dir)
            self.assertExit(p, 0)
            h.write_bytes(os.path.join(src, "%06d.xml" % i),
                          p.stdout.replace(b'sid="1"', b'sid="%d"' % i))
        p = h.packer("--dir", src, "-o", self.path("out"), "-q", "-b", "2",
                     "--manifest", cwd=self.dir)
        self.assertExit(p, 0)
        seen = self.check_manifest(self.path("out"))
        self.assertEqual([[m.name for m, _ in seen[a]] for a in sorted(seen)],
                         [["000001.xml", "000002.xml", SUMS],
                          ["000003.xml", "000004.xml", SUMS],
                          ["000005.xml", SUMS]])

    def test_without_manifest_nothing_changes(self):
        inputs = self.make_inputs()
        runs = {}
        for tag, extra in (("with", ["--manifest"]), ("without", [])):
            out = self.path("out-" + tag)
            p = self.csvpack("-q", "-o", out, "-b", "3", "-r", "7", "-j", "2",
                             *(extra + inputs), env=EPOCH)
            self.assertExit(p, 0)
            runs[tag] = out
        names = h.archive_names(runs["with"])
        self.assertEqual(h.archive_names(runs["without"]), names)
        for a in names:
            plain = os.path.join(runs["without"], a)
            ms = members(os.path.join(runs["with"], a))
            self.assertNotIn(SUMS, [m.name for m, _ in members(plain)])
            self.assertEqual([(m.name, data) for m, data in members(plain)],
                             [(m.name, data) for m, data in ms[:-1]])
            # The tar stream: the --manifest one less SHA256SUMS' header,
            # body and padding is the plain one, byte for byte.
            with open(plain, "rb") as f:
                plain_tar = gzip.decompress(f.read())
            with open(os.path.join(runs["with"], a), "rb") as f:
                sums_tar = gzip.decompress(f.read())
            size = len(ms[-1][1])
            cut = 512 + (size + 511) // 512 * 512
            end = len(sums_tar) - 1024
            self.assertEqual(sums_tar[end:], bytes(1024))
            self.assertEqual(sums_tar[:end - cut] + sums_tar[end:],
                             plain_tar, a)
