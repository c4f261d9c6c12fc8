#!/usr/bin/env python3
"""Bug: Ctrl-C (SIGINT to the whole process group) mid-run: about one stop
in eight takes 5 s instead of ~0.05 s, for one of two reasons:
 (a) every stage has exited within 0.1 s, but the launcher's `wait -n`
     missed one (bash marked its job notified when `sleep 5 &` started the
     timer), so the launcher waits for the 5 s timer;
 (b) the producer is stuck in push_end() -> pipeline_push(): on a stop it
     clears `interruptible` to push the end-of-stream record into a full
     ring that the converter (stopped, state DONE, so not "dead") will never
     read again; the launcher's timer SIGKILLs it after 5 s (by hand,
     without the launcher, it would wait forever).

    CSVPACK_BIN=/abs/bin python3 tests/faults/repro/ctrlc_slow.py [N]
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

from common import BIN, make_input, stage_pid

n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
d, inp = make_input()
rng = random.Random(5)
slow = 0
for i in range(n):
    out, name = os.path.join(d, "o%d" % i), "repro-ctrlc%d" % i
    p = subprocess.Popen([BIN + "/csvpack", "--name", name, "-o", out, "-b",
                          "5", "-r", "700", inp], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(rng.uniform(0.2, 0.9))
    if p.poll() is not None:
        continue
    os.killpg(p.pid, signal.SIGINT)
    t = time.monotonic()
    try:
        p.wait(1.5)
    except subprocess.TimeoutExpired:
        alive = [s for s in ("producer", "converter", "packer")
                 if stage_pid(name, s)]
        print("run %d: 1.5 s after Ctrl-C the launcher still runs; stages "
              "alive: %s" % (i, ", ".join(alive) or "none"))
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)
    took = time.monotonic() - t
    if took > 2:
        slow += 1
        print("run %d: exit %d %.2f s after Ctrl-C" % (i, p.returncode,
                                                       took))
shutil.rmtree(d)
print("slow stops: %d of %d" % (slow, n))
sys.exit(1 if slow else 0)
