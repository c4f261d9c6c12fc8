#!/usr/bin/env python3
"""bench.py - csvpack's throughput, against tar | gzip on the same XML and
against a Python reference of the seed's design.

    python3 bench/bench.py [--rows N] [--runs K] [--bin DIR] [--jobs J]
                           [--big GB] [--big-only] [--timeout S]

Generates a stock-price CSV of N rows once (bench/gen_csv.py, cached in
build/bench/), then runs the pipeline K times with -l 6 -b 100 -r 1000: the
three stages are spawned directly (not through the launcher) with the same
--name and a fresh output directory, and each one is reaped with os.wait4()
for its CPU time and peak RSS; wall time runs from the first spawn to the
last exit.  Interleaved with those runs (one of each per pipeline run):
csvpack verify and tar -xzOf on that run's archives; on the XML of the
first run's archives (extracted to a temporary directory) tar | gzip -6,
tar | pigz -p2 -6 and tar | libdeflate-gzip -6 (each when installed);
bench/seed_reference.py (the seed's two threads and two Events in Python)
on the same CSV with the same -b and -r, its documents checked byte for
byte against the pipeline's; and the converter alone at -j 1
(csvpack-converter --stdout -j 1 CSV > /dev/null), once with
CSVPACK_XML_PATH=reference and once without it (the fast path, when the
converter has one).  Every figure printed is the median over the K runs.

--big GB streams about GB gigabytes of CSV (the cached CSV's rows, repeated)
into the producer's stdin, so no big file is written, and reports each
stage's peak RSS: csvpack promises memory bounded whatever the input size.

Results go to stdout as a table and to build/bench/last.json.
MB means 10^6 bytes; MiB 2^20.
"""
import argparse
import ctypes
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "build", "bench")
GEN = os.path.join(ROOT, "bench", "gen_csv.py")

PIPELINE_OPTS = ["-l", "6", "-b", "100", "-r", "1000"]
STAGES = ("producer", "converter", "packer")

SEED_REFERENCE = os.path.join(ROOT, "bench", "seed_reference.py")

# Until the bench measured the seed's design itself, the README quoted
# 8.2 s on 500000 rows from another machine; kept for the footnote only.
QUOTED_PY_S = 8.2
QUOTED_PY_ROWS = 500000

# Targets (issue 14).  The pipeline's 2-core limit: the converter waits
# while the packer packs, so at best the three stages' CPU is spread over
# the two cores of the design.
TARGET_GZIP_RATIO = 0.75
TARGET_PIGZ_RATIO = 1.5
TARGET_PY_SPEEDUP = 6.0
TARGET_CONVERTER_MBS = 250.0
DESIGN_CORES = 2
# The converter's row path: "reference" selects the xmlTextWriter path;
# without the variable the converter takes its fast path (when it has one).
XML_PATH_VAR = "CSVPACK_XML_PATH"
XML_PATHS = ("reference", "fast")
TARGET_RSS_MIB = 64.0   # per stage, in --big mode

CHUNK = 1 << 20

# Archives with a fixed mtime are byte-identical from run to run.  The
# pipeline runs on the converter's default row path whatever the caller's
# environment says; only the converter-alone runs choose one.
STAGE_ENV = {k: v for k, v in os.environ.items() if k != XML_PATH_VAR}
STAGE_ENV["SOURCE_DATE_EPOCH"] = "0"


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else None


def mb(nbytes):
    return nbytes / 1e6


# --- processes ---------------------------------------------------------

def reap(procs, timeout):
    """Waits for every process in procs (a Popen or a Child) with
    os.wait4(), killing them all when timeout seconds pass.  Returns
    [(exit code, rusage)] in order, and sets each one's exit_time
    (time.perf_counter())."""
    lock = threading.Lock()
    live = {p.pid for p in procs}
    timed_out = []

    def kill_all():
        with lock:
            timed_out.append(True)
            for pid in live:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    timer = threading.Timer(timeout, kill_all)
    timer.daemon = True
    timer.start()
    got = {}

    def wait_one(p):
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except ChildProcessError:
            return
        p.exit_time = time.perf_counter()
        with lock:
            live.discard(p.pid)
        p.returncode = os.waitstatus_to_exitcode(status)
        got[p.pid] = (p.returncode, ru)

    results = []
    # one waiting thread each, so that each exit time is exact
    waiters = [threading.Thread(target=wait_one, args=(p,), daemon=True)
               for p in procs]
    try:
        for w in waiters:
            w.start()
        for w in waiters:
            w.join()
        missing = [p.args[0] for p in procs if p.pid not in got]
        if missing and not timed_out:
            raise BenchError("could not wait for %s" % ", ".join(missing))
        results = [got.get(p.pid, (None, None)) for p in procs]
    finally:
        timer.cancel()
        with lock:
            for pid in live:     # interrupted: leave nothing running
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for w in waiters:        # each reaps its process, now killed
            if w.is_alive():
                w.join(timeout=30)
        for p in procs:
            if p.pid in live:
                try:
                    _, status = os.waitpid(p.pid, 0)
                    p.returncode = os.waitstatus_to_exitcode(status)
                except ChildProcessError:
                    pass
    if timed_out:
        raise BenchError("timed out after %d s: %s" % (
            timeout, " | ".join(os.path.basename(p.args[0]) for p in procs)))
    return results


def usage_of(ru):
    return {"cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime,
            "sys_s": ru.ru_stime, "rss_mib": ru.ru_maxrss / 1024.0}


# ru_maxrss is a high-water mark that exec(2) does not reset: a program
# spawned straight from this Python process starts with Python's own RSS
# (some 15-25 MiB) as its "peak".  So a stage is started by setsid -f,
# which forks a fresh, small process and exits without waiting; the sh in
# that process prints its pid and execs the stage.  This process is a child
# subreaper, so it inherits the stage and reaps it with os.wait4().  (A
# plain "sh -c 'prog &'" will not do: dash reaps a child that exits before
# it does, and its background jobs ignore SIGINT.)  Each start costs some
# 2.5 ms, and the stages run in a session of their own.
SPAWN = ["setsid", "-f", "/bin/sh", "-c",
         'echo $$; out=$1 err=$2; shift 2; exec "$@" >"$out" 2>"$err"', "sh"]
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise BenchError("prctl(PR_SET_CHILD_SUBREAPER): %s"
                         % os.strerror(ctypes.get_errno()))


class Child:
    """A process started by spawn(), with what reap() needs."""

    def __init__(self, pid, args):
        self.pid = pid
        self.args = args
        self.returncode = None
        self.exit_time = None


def spawn(argv, out, err, stdin=subprocess.DEVNULL, env=None):
    """Starts argv as a grandchild (stdout to the file out, stderr to
    err); returns the Child and the Popen of setsid (whose stdin, when
    stdin is PIPE, is the program's)."""
    sh = subprocess.Popen(SPAWN + [out, err] + argv, stdin=stdin,
                          stdout=subprocess.PIPE, env=env)
    try:
        line = sh.stdout.readline().strip()
    finally:
        sh.stdout.close()
    if sh.wait(timeout=30) != 0 or not line.isdigit():
        raise BenchError("could not start %s" % argv[0])
    return Child(int(line), argv), sh


def stop(children):
    """Kills and reaps whatever of children reap() did not."""
    for c in children:
        if c.returncode is None:
            try:
                os.kill(c.pid, signal.SIGKILL)
                os.waitpid(c.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            c.returncode = -signal.SIGKILL


def read_text(path, limit=None):
    with open(path, "rb") as f:
        data = f.read()
    if limit:
        data = data[-limit:]
    return data.decode("utf-8", "replace")


def run_pipeline(bindir, name, outdir, inputs, jobs, timeout, feed=None):
    """Runs the three stages with the same --name; feed(fileobj), when
    given, writes the producer's stdin from a thread.  Returns wall time,
    each stage's usage and the packer's output lines."""
    opts = PIPELINE_OPTS + ["-o", outdir, "--name", name, "-q"]
    if jobs:
        opts += ["-j", str(jobs)]
    logs = tempfile.mkdtemp(prefix="logs-", dir=BENCH_DIR)
    out = {s: os.path.join(logs, s + ".out") for s in STAGES}
    err = {s: os.path.join(logs, s + ".err") for s in STAGES}
    order = ("packer", "converter", "producer")
    children = []
    feeder = None
    sh = None
    try:
        t0 = time.perf_counter()
        started = {}
        for stage in order:
            started[stage] = time.perf_counter()
            argv = [os.path.join(bindir, "csvpack-" + stage)] + opts
            stdin = subprocess.DEVNULL
            if stage == "producer":
                argv += ["--"] + inputs
                stdin = subprocess.PIPE if feed else subprocess.DEVNULL
            child, sh = spawn(argv, out[stage], err[stage], stdin, STAGE_ENV)
            children.append(child)
        if feed:
            feeder = threading.Thread(target=feed, args=(sh.stdin,),
                                      daemon=True)
            feeder.start()
        results = reap(children, timeout)
        wall = time.perf_counter() - t0
        if feeder:
            feeder.join(timeout=30)
        stages = {}
        for stage, child, (code, ru) in zip(order, children, results):
            stages[stage] = dict(usage_of(ru), exit=code,
                                 wall_s=child.exit_time - started[stage])
        failed = [s for s in STAGES if stages[s]["exit"] != 0]
        if failed:
            raise BenchError("pipeline failed: " + "; ".join(
                "%s exit %d: %s" % (s, stages[s]["exit"],
                                    read_text(err[s], 2000).strip())
                for s in failed))
        return wall, stages, read_text(out["packer"]).split()
    finally:
        stop(children)
        if sh and sh.stdin:
            try:
                sh.stdin.close()
            except OSError:
                pass
        shutil.rmtree(logs, ignore_errors=True)
        subprocess.run([os.path.join(bindir, "csvpack-producer"),
                        "--cleanup", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, check=False)


def time_tar_into(xmldir, compressor, timeout):
    """tar cf - -C xmldir . | compressor > /dev/null; returns wall time
    and the compressor's usage."""
    t0 = time.perf_counter()
    tar = subprocess.Popen(["tar", "cf", "-", "-C", xmldir, "."],
                           stdout=subprocess.PIPE)
    comp = subprocess.Popen(compressor, stdin=tar.stdout,
                            stdout=subprocess.DEVNULL)
    tar.stdout.close()
    (tcode, _), (ccode, ru) = reap([tar, comp], timeout)
    wall = time.perf_counter() - t0
    if tcode != 0 or ccode != 0:
        raise BenchError("tar | %s failed (%d, %d)" % (compressor[0],
                                                       tcode, ccode))
    return wall, usage_of(ru)


def time_verify(bindir, outdir, inputs, timeout):
    """csvpack-admin verify OUTDIR [INPUTS]; wall time.  It must say OK:
    the bench's own run is a delivery verify has to prove complete."""
    t0 = time.perf_counter()
    err = os.path.join(BENCH_DIR, "verify.err")
    child, _ = spawn([os.path.join(bindir, "csvpack-admin"), "verify",
                      outdir] + inputs, os.devnull, err)
    (code, _), = reap([child], timeout)
    w = time.perf_counter() - t0
    text = read_text(err)
    if code != 0 or not text.rstrip().endswith(": OK"):
        raise BenchError("verify %s failed (%d): %s" % (outdir, code, text))
    return w


def time_tar_extract(outdir, timeout):
    """tar -xzOf A > /dev/null for every archive, in order, one tar
    each: what a receiver's check without csvpack costs."""
    names = sorted(n for n in os.listdir(outdir) if n.endswith(".tgz"))
    t0 = time.perf_counter()
    for n in names:
        child, _ = spawn(["tar", "-xzOf", os.path.join(outdir, n)],
                         os.devnull, os.devnull)
        (code, _), = reap([child], timeout)
        if code != 0:
            raise BenchError("tar -xzOf %s failed (%d)" % (n, code))
    return time.perf_counter() - t0


def converter_env(path):
    """The stages' environment with the converter's row path selected:
    CSVPACK_XML_PATH=reference, or the variable removed (its default, the
    fast path)."""
    env = dict(STAGE_ENV)
    env.pop(XML_PATH_VAR, None)
    if path == "reference":
        env[XML_PATH_VAR] = "reference"
    return env


def converter_argv(bindir, csv):
    return [os.path.join(bindir, "csvpack-converter"), "--stdout", "-j", "1",
            csv]


def time_converter(bindir, csv, path, timeout):
    """csvpack-converter --stdout -j 1 CSV > /dev/null on the given row
    path; wall time and usage."""
    t0 = time.perf_counter()
    child, _ = spawn(converter_argv(bindir, csv), os.devnull, os.devnull,
                     env=converter_env(path))
    try:
        (code, ru), = reap([child], timeout)
    finally:
        stop([child])
    wall = time.perf_counter() - t0
    if code != 0:
        raise BenchError("csvpack-converter --stdout (%s path) failed (%d)"
                         % (path, code))
    return wall, usage_of(ru)


def converter_output(bindir, csv, path, timeout):
    """The size and SHA-256 of the single document --stdout writes on the
    given row path (not timed)."""
    p = subprocess.Popen(converter_argv(bindir, csv), stdout=subprocess.PIPE,
                         env=converter_env(path))
    timer = threading.Timer(timeout, p.kill)
    timer.daemon = True
    timer.start()
    total = 0
    h = hashlib.sha256()
    try:
        while True:
            block = p.stdout.read(CHUNK)
            if not block:
                break
            total += len(block)
            h.update(block)
    finally:
        p.stdout.close()
        if p.poll() is None and not timer.is_alive():
            p.kill()
        code = p.wait()
        timer.cancel()
    if code != 0:
        raise BenchError("csvpack-converter --stdout failed or timed out "
                         "(%d)" % code)
    return total, h.hexdigest()


def time_seed_reference(csv, outdir, timeout):
    """bench/seed_reference.py -o OUTDIR -b 100 -r 1000 CSV, spawned like a
    stage (so its peak RSS is its own); wall time, usage and the
    (rows, documents, archives) it reports."""
    logs = tempfile.mkdtemp(prefix="seedref-", dir=BENCH_DIR)
    out, err = os.path.join(logs, "out"), os.path.join(logs, "err")
    argv = [sys.executable, SEED_REFERENCE, "-o", outdir] + \
        PIPELINE_OPTS[2:] + ["--", csv]
    try:
        t0 = time.perf_counter()
        child, _ = spawn(argv, out, err, env=STAGE_ENV)
        try:
            (code, ru), = reap([child], timeout)
        finally:
            stop([child])
        wall = time.perf_counter() - t0
        text = read_text(err)
        paths = read_text(out).split()
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    last = text.strip().splitlines()[-1] if text.strip() else ""
    words = last.split()
    if code != 0 or len(words) != 7 or words[0] != "seed_reference:":
        raise BenchError("seed_reference.py failed (%d): %s" % (
            code, text.strip()[-2000:]))
    counts = (int(words[1]), int(words[3]), int(words[5]))
    if len(paths) != counts[2]:
        raise BenchError("seed_reference.py printed %d paths for %d "
                         "archives" % (len(paths), counts[2]))
    return wall, usage_of(ru), counts


def check_seed_output(outdir, xmldir, rows, sizes, full):
    """The Python reference's output against the pipeline's: the same
    archive names, the same member names in each (so every document in
    the right archive), the same rows; with full, every document byte for
    byte equal to the pipeline's (extracted in xmldir)."""
    abytes, xbytes, docs, narchives = sizes
    names = sorted(n for n in os.listdir(outdir))
    want = ["%06d.tgz" % i for i in range(1, narchives + 1)]
    if names != want:
        raise BenchError("seed_reference.py left %s, expected %s" % (
            names[:8], want[:8]))
    total = seen = 0
    for a in names:
        with tarfile.open(os.path.join(outdir, a), "r:gz") as tf:
            for m in tf:
                seen += 1
                total += m.size
                if not full:
                    continue
                ours = os.path.join(xmldir, m.name)
                with open(ours, "rb") as f:
                    if tf.extractfile(m).read() != f.read():
                        raise BenchError("seed_reference.py's %s %s differs "
                                         "from the pipeline's" % (a, m.name))
    if seen != docs or total != xbytes:
        raise BenchError("seed_reference.py made %d documents, %d bytes; "
                         "the pipeline %d, %d" % (seen, total, docs, xbytes))


# --- data --------------------------------------------------------------

def ensure_csv(rows, seed, timeout):
    """The cached CSV of rows rows, generated once."""
    os.makedirs(BENCH_DIR, exist_ok=True)
    path = os.path.join(BENCH_DIR, "prices-%d-s%d.csv" % (rows, seed))
    if os.path.exists(path):
        return path
    log("generating %s ..." % os.path.relpath(path, ROOT))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        subprocess.run([sys.executable, GEN, str(rows), str(seed)],
                       stdout=f, timeout=timeout, check=True)
    os.rename(tmp, path)
    return path


def warm_cache(path):
    with open(path, "rb") as f:
        while f.read(CHUNK):
            pass


def warm_cache_dir(d):
    """Every file of d read once, so the first timed reader is not the
    one that pays for the disk."""
    for n in sorted(os.listdir(d)):
        if os.path.isfile(os.path.join(d, n)):
            warm_cache(os.path.join(d, n))


def archive_stats(outdir):
    """(archive bytes, XML bytes, documents) of the archives in outdir."""
    archives = sorted(n for n in os.listdir(outdir) if n.endswith(".tgz"))
    abytes = xbytes = docs = 0
    for name in archives:
        path = os.path.join(outdir, name)
        abytes += os.path.getsize(path)
        with tarfile.open(path, "r:gz") as tf:
            for m in tf:
                xbytes += m.size
                docs += 1
    return abytes, xbytes, docs, len(archives)


def extract_archives(outdir, dest):
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".tgz"):
            with tarfile.open(os.path.join(outdir, name), "r:gz") as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(dest, filter="data")
                else:
                    tf.extractall(dest)


def binary_ids(bindir):
    """A short hash of each stage's binary: which build was measured."""
    ids = {}
    for s in STAGES:
        h = hashlib.sha256()
        with open(os.path.join(bindir, "csvpack-" + s), "rb") as f:
            h.update(f.read())
        ids[s] = h.hexdigest()[:12]
    return ids


def git_describe():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --- the main benchmark ------------------------------------------------

def compressors():
    """The baselines to time, as (label, argv or None when missing)."""
    found = []
    found.append(("tar | gzip -6", ["gzip", "-6", "-c"]))
    found.append(("tar | pigz -p2 -6", ["pigz", "-p2", "-6", "-c"]
                  if shutil.which("pigz") else None))
    found.append(("tar | libdeflate-gzip -6",
                  ["libdeflate-gzip", "-6", "-c"]
                  if shutil.which("libdeflate-gzip") else None))
    return found


def bench_main(args, csv):
    csv_bytes = os.path.getsize(csv)
    warm_cache(csv)
    tmp = tempfile.mkdtemp(prefix="bench-", dir=BENCH_DIR)
    xmldir = os.path.join(tmp, "xml")
    comps = compressors()
    runs = []
    base = {label: [] for label, argv in comps if argv}
    conv = {path: [] for path in XML_PATHS}
    seed = []
    checks = {"tar -xzOf": [], "verify DIR": [], "verify DIR INPUT": []}
    sizes = None
    try:
        for i in range(args.runs):
            outdir = os.path.join(tmp, "out-%d" % i)
            name = "bench-%d-%d" % (os.getpid(), i)
            wall, stages, lines = run_pipeline(args.bin, name, outdir, [csv],
                                               args.jobs, args.timeout)
            stats = archive_stats(outdir)
            if sizes is None:
                sizes = stats
                os.mkdir(xmldir)
                extract_archives(outdir, xmldir)
            elif stats[1:] != sizes[1:]:
                raise BenchError("run %d made different XML: %r vs %r"
                                 % (i + 1, stats, sizes))
            if len(lines) != stats[3]:
                raise BenchError("packer printed %d paths for %d archives"
                                 % (len(lines), stats[3]))
            warm_cache_dir(outdir)
            checks["tar -xzOf"].append(time_tar_extract(outdir, args.timeout))
            checks["verify DIR"].append(
                time_verify(args.bin, outdir, [], args.timeout))
            checks["verify DIR INPUT"].append(
                time_verify(args.bin, outdir, [csv], args.timeout))
            shutil.rmtree(outdir)
            cpu = sum(stages[s]["cpu_s"] for s in STAGES)
            runs.append({"wall_s": wall, "stages": stages,
                         "archive_bytes": stats[0],
                         "two_core_limit_s": cpu / DESIGN_CORES})
            for label, argv in comps:
                if argv:
                    w, u = time_tar_into(xmldir, argv, args.timeout)
                    base[label].append({"wall_s": w, "compressor": u})
            seeddir = os.path.join(tmp, "seed-%d" % i)
            w, u, counts = time_seed_reference(csv, seeddir, args.timeout)
            if counts != (args.rows, sizes[2], sizes[3]):
                raise BenchError("seed_reference.py: %d rows, %d documents, "
                                 "%d archives; expected %d, %d, %d" % (
                                     counts + (args.rows,) + sizes[2:]))
            check_seed_output(seeddir, xmldir, args.rows, sizes, i == 0)
            shutil.rmtree(seeddir)
            seed.append({"wall_s": w, "usage": u})
            # the two row paths, in alternating order from run to run
            for path in XML_PATHS[::1 if i % 2 == 0 else -1]:
                cw, cu = time_converter(args.bin, csv, path, args.timeout)
                conv[path].append({"wall_s": cw, "usage": cu})
            log("run %d/%d: pipeline %.2f s, %s, Python reference %.2f s, "
                "converter -j 1 reference %.2f s, fast %.2f s" % (
                    i + 1, args.runs, wall, ", ".join(
                        "%s %.2f s" % (label.split("| ")[1], base[label][-1]
                                       ["wall_s"]) for label in base), w,
                    conv["reference"][-1]["wall_s"],
                    conv["fast"][-1]["wall_s"]))
        conv_out = {path: converter_output(args.bin, csv, path, args.timeout)
                    for path in XML_PATHS}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    abytes, xbytes, docs, narchives = sizes
    wall = median([r["wall_s"] for r in runs])
    limit = median([r["two_core_limit_s"] for r in runs])
    med = {"wall_s": wall,
           "csv_mb_s": mb(csv_bytes) / wall,
           "xml_mb_s": mb(xbytes) / wall,
           "rows_s": args.rows / wall,
           "archive_bytes": median([r["archive_bytes"] for r in runs]),
           "two_core_limit_s": limit,
           "stages": {s: {k: median([r["stages"][s][k] for r in runs])
                          for k in ("wall_s", "cpu_s", "user_s", "sys_s",
                                    "rss_mib")}
                      for s in STAGES}}
    baselines = {}
    for label, argv in comps:
        if not argv:
            baselines[label] = None
            continue
        w = median([b["wall_s"] for b in base[label]])
        baselines[label] = {
            "wall_s": w, "xml_mb_s": mb(xbytes) / w,
            "compressor_cpu_s": median([b["compressor"]["cpu_s"]
                                        for b in base[label]]),
            "runs_s": [b["wall_s"] for b in base[label]]}
    converter = {}
    for path in XML_PATHS:
        cs = conv[path]
        cw = median([c["wall_s"] for c in cs])
        nbytes, digest = conv_out[path]
        converter[path] = {
            "wall_s": cw, "xml_bytes": nbytes, "sha256": digest,
            "xml_mb_s": mb(nbytes) / cw,
            "cpu_s": median([c["usage"]["cpu_s"] for c in cs]),
            "user_s": median([c["usage"]["user_s"] for c in cs]),
            "sys_s": median([c["usage"]["sys_s"] for c in cs]),
            "rss_mib": median([c["usage"]["rss_mib"] for c in cs]),
            "runs_s": [c["wall_s"] for c in cs]}
    converter["same_output"] = (conv_out["reference"] == conv_out["fast"])
    sw = median([r["wall_s"] for r in seed])
    seed_ref = {"wall_s": sw, "xml_mb_s": mb(xbytes) / sw,
                "cpu_s": median([r["usage"]["cpu_s"] for r in seed]),
                "user_s": median([r["usage"]["user_s"] for r in seed]),
                "sys_s": median([r["usage"]["sys_s"] for r in seed]),
                "rss_mib": median([r["usage"]["rss_mib"] for r in seed]),
                "runs_s": [r["wall_s"] for r in seed],
                "same_documents": True}
    checked = {label: {"wall_s": median(ws), "xml_mb_s":
                       mb(xbytes) / median(ws), "runs_s": ws}
               for label, ws in checks.items()}
    ratios = {"pipeline_over_gzip": wall / baselines["tar | gzip -6"]
              ["wall_s"]}
    if baselines["tar | pigz -p2 -6"]:
        ratios["pipeline_over_pigz"] = (
            wall / baselines["tar | pigz -p2 -6"]["wall_s"])
    if baselines["tar | libdeflate-gzip -6"]:
        ratios["pipeline_over_libdeflate"] = (
            wall / baselines["tar | libdeflate-gzip -6"]["wall_s"])
    ratios["limit_over_gzip"] = limit / baselines["tar | gzip -6"]["wall_s"]
    ratios["pipeline_over_two_core_limit"] = wall / limit
    ratios["speedup_vs_python_reference"] = sw / wall
    ratios["verify_over_tar"] = (checked["verify DIR"]["wall_s"] /
                                 checked["tar -xzOf"]["wall_s"])
    ratios["converter_fast_over_reference"] = (
        converter["fast"]["xml_mb_s"] / converter["reference"]["xml_mb_s"])
    return {"csv_bytes": csv_bytes, "xml_bytes": xbytes, "documents": docs,
            "archives": narchives, "median": med, "runs": runs,
            "baselines": baselines, "converter": converter,
            "seed_reference": seed_ref, "checks": checked,
            "ratios": ratios}


def verdict(ok):
    return "met" if ok else "MISSED"


def print_main(args, res, env):
    m = res["median"]
    k = args.runs
    print()
    print("csvpack bench  %s  rows=%d  %s  runs=%d  (medians)" % (
        env["git"], args.rows, " ".join(PIPELINE_OPTS), k))
    print("machine: %d CPUs, load average %s at start, %s at end" % (
        env["cpus"], env["load_start"], env["load_end"]))
    print("during the runs: %s" % describe_load(env["other_load"]))
    print("input %.1f MB CSV -> %.1f MB XML in %d documents -> %d archives"
          % (mb(res["csv_bytes"]), mb(res["xml_bytes"]), res["documents"],
             res["archives"]))
    print()
    walls = sorted(r["wall_s"] for r in res["runs"])
    print("pipeline")
    print("  %-28s %10.2f s    (runs %s)" % ("wall", m["wall_s"], " ".join(
        "%.2f" % w for w in walls)))
    print("  %-28s %10.1f MB/s" % ("CSV in", m["csv_mb_s"]))
    print("  %-28s %10.1f MB/s" % ("XML through", m["xml_mb_s"]))
    print("  %-28s %10.0f" % ("rows/s", m["rows_s"]))
    print("  %-28s %10d bytes (%.1f%% of XML)" % (
        "archives", m["archive_bytes"],
        100.0 * m["archive_bytes"] / res["xml_bytes"]))
    print()
    print("  %-12s %8s %8s %8s %8s %13s" % (
        "stage", "wall s", "CPU s", "user s", "sys s", "peak RSS MiB"))
    for s in STAGES:
        st = m["stages"][s]
        print("  %-12s %8.2f %8.2f %8.2f %8.2f %13.1f" % (
            s, st["wall_s"], st["cpu_s"], st["user_s"], st["sys_s"],
            st["rss_mib"]))
    total = sum(m["stages"][s]["cpu_s"] for s in STAGES)
    print("  %-12s %8s %8.2f   (%.2f CPUs busy on average)" % (
        "all", "", total, total / m["wall_s"]))
    r = res["ratios"]
    print("  2-core limit of the design, (producer + converter + packer CPU)"
          " / %d:" % DESIGN_CORES)
    print("  %-28s %10.2f s    pipeline wall / limit %.2f" % (
        "", m["two_core_limit_s"], r["pipeline_over_two_core_limit"]))
    print()
    sr = res["seed_reference"]
    print("Python reference of the seed (bench/seed_reference.py, same CSV, "
          "-b 100 -r 1000)")
    print("  %-28s %10.2f s   %7.1f MB/s XML   (runs %s)" % (
        "wall", sr["wall_s"], sr["xml_mb_s"],
        " ".join("%.2f" % w for w in sorted(sr["runs_s"]))))
    print("  %-28s %10.2f s   (user %.2f, sys %.2f), peak RSS %.1f MiB" % (
        "CPU", sr["cpu_s"], sr["user_s"], sr["sys_s"], sr["rss_mib"]))
    print("  its documents: byte for byte the pipeline's (first run), the "
          "same archives and members (every run)")
    print()
    print("baselines on the same %.1f MB of XML" % mb(res["xml_bytes"]))
    for label, b in res["baselines"].items():
        if b is None:
            print("  %-28s   not installed" % label)
        else:
            print("  %-28s %10.2f s   %7.1f MB/s XML   compressor CPU %.2f s"
                  % (label, b["wall_s"], b["xml_mb_s"],
                     b["compressor_cpu_s"]))
    print()
    c = res["converter"]
    print("converter alone: csvpack-converter --stdout -j 1 (one %.1f MB "
          "document)" % mb(c["reference"]["xml_bytes"]))
    for path, label in (("reference", "reference path (%s=reference)"
                         % XML_PATH_VAR),
                        ("fast", "fast path (%s unset)" % XML_PATH_VAR)):
        cp = c[path]
        print("  %-44s %6.2f s %7.1f MB/s XML   CPU %.2f s, RSS %.1f MiB" % (
            label, cp["wall_s"], cp["xml_mb_s"], cp["cpu_s"], cp["rss_mib"]))
    print("  the two paths' output: %s" % (
        "identical" if c["same_output"] else "DIFFERENT (%d bytes, sha256 %s"
        " vs %d bytes, %s)" % (
            c["reference"]["xml_bytes"], c["reference"]["sha256"][:16],
            c["fast"]["xml_bytes"], c["fast"]["sha256"][:16])))
    print()
    print("reading the delivery back (%d archives)" % res["archives"])
    for label, b in res["checks"].items():
        print("  %-28s %10.2f s   %7.1f MB/s XML   (runs %s)" % (
            label, b["wall_s"], b["xml_mb_s"],
            " ".join("%.2f" % w for w in sorted(b["runs_s"]))))
    print()
    print("ratios and targets")
    row = "  %-46s %7s   %s"
    g = r["pipeline_over_gzip"]
    print(row % ("pipeline wall / (tar | gzip -6)", "%.2f" % g,
                 "target <= %.2f: %s" % (TARGET_GZIP_RATIO,
                                         verdict(g <= TARGET_GZIP_RATIO))))
    if "pipeline_over_pigz" in r:
        p = r["pipeline_over_pigz"]
        print(row % ("pipeline wall / (tar | pigz -p2 -6)", "%.2f" % p,
                     "target <= %.1f: %s" % (TARGET_PIGZ_RATIO,
                                             verdict(p <= TARGET_PIGZ_RATIO))))
    else:
        print(row % ("pipeline wall / (tar | pigz -p2 -6)", "-",
                     "target <= %.1f: not measured, pigz not installed"
                     % TARGET_PIGZ_RATIO))
    if "pipeline_over_libdeflate" in r:
        print(row % ("pipeline wall / (tar | libdeflate-gzip -6)",
                     "%.2f" % r["pipeline_over_libdeflate"],
                     "for information"))
    print(row % ("pipeline wall / its 2-core limit",
                 "%.2f" % r["pipeline_over_two_core_limit"],
                 "1.00 = both cores busy all the run"))
    print(row % ("2-core limit / (tar | gzip -6)",
                 "%.2f" % r["limit_over_gzip"],
                 "the best this run's CPU allows"))
    sp = r["speedup_vs_python_reference"]
    print(row % ("speed-up vs the Python reference", "%.1fx" % sp,
                 "target >= %.0fx: %s (%.2f s / %.2f s, measured in this "
                 "run)" % (TARGET_PY_SPEEDUP, verdict(sp >= TARGET_PY_SPEEDUP),
                           sr["wall_s"], m["wall_s"])))
    f = c["fast"]["xml_mb_s"]
    print(row % ("converter alone -j 1, fast path, XML MB/s", "%.1f" % f,
                 "target >= %.0f: %s" % (TARGET_CONVERTER_MBS,
                                         verdict(f >= TARGET_CONVERTER_MBS))))
    print(row % ("converter alone -j 1, reference path, XML MB/s",
                 "%.1f" % c["reference"]["xml_mb_s"],
                 "for comparison (fast / reference %.2f)"
                 % r["converter_fast_over_reference"]))
    v = r["verify_over_tar"]
    print(row % ("verify DIR / tar -xzOf each archive", "%.2f" % v,
                 "target <= 1.0: %s" % verdict(v <= 1.0)))
    rss = max(m["stages"][s]["rss_mib"] for s in STAGES)
    print(row % ("largest peak RSS of a stage (this run), MiB",
                 "%.1f" % rss, "target <= %.0f: %s here (the target is for "
                 "2 GB of input: --big 2)" % (TARGET_RSS_MIB,
                                               verdict(rss <= TARGET_RSS_MIB))))
    print()
    print("  (the README used to quote %.1f s for the seed's Python on %d "
          "rows, from\n  another machine: %.1fx at this run's pipeline wall,"
          " scaled to %d rows;\n  for comparison with old results only)" % (
              QUOTED_PY_S, QUOTED_PY_ROWS,
              QUOTED_PY_S * args.rows / QUOTED_PY_ROWS / m["wall_s"],
              args.rows))


# --- the flat-memory check ---------------------------------------------

def stream_csv(block_csv, target_bytes, counter):
    """Returns feed(fileobj): writes the header of block_csv, then its data
    rows again and again, a CHUNK at a time, and stops at the end of the
    line where about target_bytes is reached.  counter gets the bytes and
    lines written."""
    def feed(out):
        try:
            with open(block_csv, "rb") as f:
                header = f.readline()
                body = f.tell()
                out.write(header)
                counter["bytes"], counter["rows"] = len(header), 1
                while True:
                    block = f.read(CHUNK)
                    if not block:           # the rows again, from the top
                        f.seek(body)
                        continue
                    room = target_bytes - counter["bytes"]
                    last = False
                    if len(block) >= room:
                        nl = block.find(b"\n", max(room - 1, 0))
                        if nl >= 0:
                            block, last = block[:nl + 1], True
                    out.write(block)
                    counter["bytes"] += len(block)
                    counter["rows"] += block.count(b"\n")
                    if last:
                        break
        except BrokenPipeError:
            counter["broken"] = True
        finally:
            try:
                out.close()
            except OSError:
                pass
    return feed


def bench_big(args, block_csv, env):
    target = int(args.big * 1e9)
    parent = tempfile.gettempdir()
    free = shutil.disk_usage(parent).free
    if free < 3 * target:
        log("--big: skipped, %s has %.1f GB free and needs %.1f GB" % (
            parent, mb(free) / 1000, 3 * mb(target) / 1000))
        return {"skipped": "not enough disk", "free_bytes": free}
    outdir = tempfile.mkdtemp(prefix="csvpack-big-", dir=parent)
    counter = {"bytes": 0, "rows": 0}
    timeout = args.timeout + 1200 * args.big
    log("--big: streaming %.2f GB of CSV into the producer's stdin ..."
        % (target / 1e9))
    c0 = cpu_clock()
    try:
        wall, stages, lines = run_pipeline(
            args.bin, "bench-big-%d" % os.getpid(), outdir, ["-"],
            args.jobs, timeout, feed=stream_csv(block_csv, target, counter))
        if counter.get("broken"):
            raise BenchError("the producer stopped reading its stdin")
        abytes = sum(os.path.getsize(os.path.join(outdir, n))
                     for n in os.listdir(outdir) if n.endswith(".tgz"))
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    load = other_load(c0, cpu_clock())
    rows = counter["rows"] - 1     # the header
    res = {"other_load": load, "csv_bytes": counter["bytes"], "rows": rows, "wall_s": wall,
           "csv_mb_s": mb(counter["bytes"]) / wall, "rows_s": rows / wall,
           "archive_bytes": abytes, "archives": len(lines),
           "stages": stages, "load_end": env_load()}
    print()
    print("flat memory: %.2f GB CSV (%d rows) streamed into stdin" % (
        counter["bytes"] / 1e9, rows))
    print("  wall %.1f s, %.1f MB/s CSV, %.0f rows/s, %d archives, %.1f MB"
          % (wall, res["csv_mb_s"], res["rows_s"], len(lines), mb(abytes)))
    print("  %-12s %8s %13s   target <= %.0f MiB" % (
        "stage", "CPU s", "peak RSS MiB", TARGET_RSS_MIB))
    for s in STAGES:
        st = stages[s]
        print("  %-12s %8.2f %13.1f   %s" % (
            s, st["cpu_s"], st["rss_mib"],
            verdict(st["rss_mib"] <= TARGET_RSS_MIB)))
    print("  load average at end: %s; %s" % (res["load_end"],
                                             describe_load(load)))
    return res


# --- main --------------------------------------------------------------

def env_load():
    return " ".join("%.2f" % x for x in os.getloadavg())


def cpu_clock():
    """(wall, machine busy CPU s, of which niced, this process and its
    reaped children's CPU s): two of these bracket a measurement, and the
    difference says how much CPU other work took meanwhile."""
    hz = os.sysconf("SC_CLK_TCK")
    busy = nice = 0.0
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        # user nice system idle iowait irq softirq steal
        busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz
        nice = v[1] / hz
    except (OSError, ValueError, IndexError):
        pass
    t = os.times()
    ours = t.user + t.system + t.children_user + t.children_system
    return time.monotonic(), busy, nice, ours


def other_load(start, end):
    """CPUs kept busy by other processes between two cpu_clock()s."""
    wall = end[0] - start[0]
    busy = end[1] - start[1]
    nice = end[2] - start[2]
    ours = end[3] - start[3]
    return {"wall_s": wall, "other_cpus": max(busy - ours, 0.0) / wall,
            "niced_cpus": nice / wall, "ours_cpus": ours / wall}


def describe_load(o):
    return ("other processes kept %.2f CPUs busy on average (%.2f of it "
            "niced), this benchmark %.2f" % (o["other_cpus"],
                                             o["niced_cpus"], o["ours_cpus"]))


def save(path, out):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(
        description="Benchmark csvpack against tar | gzip.")
    ap.add_argument("--rows", type=int, default=500000,
                    help="CSV data rows (default 500000)")
    ap.add_argument("--runs", type=int, default=5,
                    help="repetitions; medians are reported (default 5)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin"),
                    help="directory of the csvpack-* programs")
    ap.add_argument("--seed", type=int, default=42,
                    help="gen_csv.py seed (default 42)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="pass -j J to the stages (default: theirs)")
    ap.add_argument("--big", type=float, default=None, metavar="GB",
                    help="also stream about GB gigabytes through the "
                    "pipeline and report each stage's peak RSS")
    ap.add_argument("--big-only", action="store_true",
                    help="with --big: skip the main benchmark")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds allowed to any one subprocess run")
    ap.add_argument("--json", default=os.path.join(BENCH_DIR, "last.json"),
                    help="where to write the results")
    args = ap.parse_args()
    if args.rows < 1 or args.runs < 1 or (args.big is not None and
                                          args.big <= 0):
        ap.error("--rows, --runs and --big must be positive")
    if args.big_only and args.big is None:
        ap.error("--big-only needs --big")
    args.bin = os.path.abspath(args.bin)
    for s in STAGES:
        if not os.access(os.path.join(args.bin, "csvpack-" + s), os.X_OK):
            ap.error("no csvpack-%s in %s (run make)" % (s, args.bin))

    env = {"git": git_describe(), "binaries": binary_ids(args.bin),
           "cpus": os.cpu_count(),
           "host": platform.node(), "kernel": platform.release(),
           "python": platform.python_version(),
           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "load_start": env_load()}
    out = {"config": {"rows": args.rows, "runs": args.runs,
                      "seed": args.seed, "options": PIPELINE_OPTS,
                      "jobs": args.jobs, "bin": args.bin},
           "env": env}
    try:
        become_subreaper()
        csv = ensure_csv(args.rows, args.seed, args.timeout)
        if not args.big_only:
            c0 = cpu_clock()
            out["main"] = bench_main(args, csv)
            env["load_end"] = env_load()
            env["other_load"] = other_load(c0, cpu_clock())
            save(args.json, out)
            print_main(args, out["main"], env)
        if args.big is not None:
            out["big"] = bench_big(args, csv, env)
            env.setdefault("load_end", env_load())
            save(args.json, out)
    except (BenchError, subprocess.SubprocessError) as e:
        log("bench: %s" % e)
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130
    print()
    print("results written to %s" % os.path.relpath(args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
