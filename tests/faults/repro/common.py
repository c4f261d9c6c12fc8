"""Shared bits of the reproducers (Python 3 stdlib)."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BIN = os.path.abspath(os.environ.get("CSVPACK_BIN") or
                      os.path.join(REPO, "bin"))


def make_input(rows=200000):
    d = tempfile.mkdtemp(prefix="repro-")
    path = os.path.join(d, "in.csv")
    with open(path, "w") as f:
        subprocess.run([sys.executable, os.path.join(REPO, "bench",
                                                     "gen_csv.py"),
                        str(rows), "1"], stdout=f, check=True, timeout=300)
    return d, path


def stage_pid(name, stage):
    """pid of csvpack-STAGE --name NAME (not its --validate run)."""
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % e, "rb") as f:
                a = f.read().split(b"\0")
        except OSError:
            continue
        if (a[0].endswith(b"csvpack-" + stage.encode()) and
                name.encode() in a and b"--validate" not in a):
            return int(e)
    return None
