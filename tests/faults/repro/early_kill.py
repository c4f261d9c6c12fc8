#!/usr/bin/env python3
"""Bug: SIGKILL a stage the moment it appears, before it has attached to
the pipeline: the other two never notice (pipeline_check_peers skips a slot
whose pid is still 0), so they wait until the launcher's 5 s timer SIGKILLs
them -- the spec says they notice within 2 s.  (Started by hand, without the
launcher, they wait forever.)  The timer path then often ends in the
launcher's `wait -n` spin (see launcher_spin.sh).

    CSVPACK_BIN=/abs/bin python3 tests/faults/repro/early_kill.py [STAGE] [N]
"""
import os
import shutil
import signal
import subprocess
import sys
import time

from common import BIN, make_input, stage_pid

stage = sys.argv[1] if len(sys.argv) > 1 else "packer"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
d, inp = make_input()
bad = 0
for i in range(n):
    name = "repro-early%d" % i
    p = subprocess.Popen([BIN + "/csvpack", "--name", name, "-o",
                          os.path.join(d, "o%d" % i), "-b", "5", "-r", "700",
                          inp], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    pid = None
    while pid is None and p.poll() is None:
        pid = stage_pid(name, stage)
    if pid is None:
        continue
    os.kill(pid, signal.SIGKILL)
    t = time.monotonic()
    try:
        p.wait(15)
        took = time.monotonic() - t
        bad += took > 2.5
        print("run %d: launcher exit %d %.2f s after the %s's SIGKILL" % (
            i, p.returncode, took, stage))
    except subprocess.TimeoutExpired:
        bad += 1
        print("run %d: launcher still running 15 s after the %s's SIGKILL"
              % (i, stage))
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)
        subprocess.run([BIN + "/csvpack", "--cleanup", name], timeout=30)
shutil.rmtree(d)
sys.exit(1 if bad else 0)
