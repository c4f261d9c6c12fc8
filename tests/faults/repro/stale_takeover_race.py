"""Reproducer: two stages replacing the same dead segment.

A pipeline is SIGKILLed so that its IPC objects stay; a new run with the
same name then starts three stages at once, and two of them may find the
dead segment together.  Before the fix one removed the segment the other
had just created (a hang), or a stage opened the dead run's semaphores
while another removed them (exit 1, "sem_open ... No such file").
Usage: python3 stale_takeover_race.py BIN_DIR RUNS, in a scratch directory
holding in.csv (bench/gen_csv.py 200000 1 > in.csv).  Before: 2 of 40 bad;
after: 0 of 100.
"""
import os, signal, subprocess, sys, time, shutil
B = sys.argv[1]; n = int(sys.argv[2]); bad = 0
for i in range(n):
    name = "race%d" % i
    shutil.rmtree("o", ignore_errors=True)
    p = subprocess.Popen([B + "/csvpack", "--name", name, "-q", "-o", "o", "in.csv"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.25)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    if not [e for e in os.listdir("/dev/shm") if name in e]:
        continue
    try:
        r = subprocess.run([B + "/csvpack", "--name", name, "-q", "-o", "o2-%d" % i, "in.csv"], timeout=20, capture_output=True)
        if r.returncode != 0:
            bad += 1; print("exit", r.returncode, r.stderr[-300:])
    except subprocess.TimeoutExpired:
        bad += 1; print("HANG", name)
        subprocess.run(["pkill", "-9", "-f", name])
        subprocess.run([B + "/csvpack", "--cleanup", name])
    shutil.rmtree("o2-%d" % i, ignore_errors=True)
print("bad", bad, "of", n)
