#!/usr/bin/env python3
"""Bug: SIGKILL the packer at the instant an archive takes its final name
(after the rename, while delete_documents() is removing its documents from
staging), then --resume: the resumed run "packs the documents left in
staging" again (pack_staged() does not consult the journal), so their rows
stand in two archives.

    CSVPACK_BIN=/abs/bin python3 tests/faults/repro/commit_dup.py [N]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile

from common import BIN, make_input, stage_pid

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
d, inp = make_input()
total = 0
for i in range(n):
    out, name = os.path.join(d, "o%d" % i), "repro-dup%d" % i
    args = [BIN + "/csvpack", "--name", name, "-o", out, "-b", "5", "-r",
            "700", inp]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    target = os.path.join(out, "%06d.tgz" % (3 + i))
    pid = None
    while p.poll() is None:
        if pid is None:
            pid = stage_pid(name, "packer")
        if os.path.exists(target):
            break
    if pid:
        os.kill(pid, signal.SIGKILL)
    p.wait(15)
    sd = os.path.join(out, ".csvpack-staging")
    left = sorted(x for x in os.listdir(sd) if x.endswith(".xml"))
    subprocess.run(args + ["--resume"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    seen = {}
    for a in sorted(os.listdir(out)):
        if re.match(r"^\d{6}\.tgz$", a):
            with tarfile.open(os.path.join(out, a)) as tf:
                for m in tf.getmembers():
                    data = tf.extractfile(m).read()
                    for line in re.findall(rb'<row line="(\d+)"', data):
                        seen[line] = seen.get(line, 0) + 1
    dups = sum(v - 1 for v in seen.values())
    total += dups
    print("run %d: packer killed as %s appeared; staging held %s; after "
          "--resume: %d rows duplicated, %d lost" % (
              i, os.path.basename(target), " ".join(left) or "nothing",
              dups, 200000 - len(seen)))
shutil.rmtree(d)
print("rows duplicated in total: %d" % total)
sys.exit(1 if total else 0)
