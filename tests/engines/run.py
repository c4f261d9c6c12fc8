#!/usr/bin/env python3
"""Run the README's scale-out recipes on the real engines.

    CSVPACK_BIN=/abs/path/bin python3 tests/engines/run.py [FILTER...]

Discovers tests/engines/test_*.py (a one-node SLURM cluster, GNU parallel
over ssh to a loopback sshd; each test starts its engine and stops it on
every exit path) and runs them with unittest, one line per test with the
time it took.  A test whose engine is not installed or cannot start here
is skipped with one line saying which and why.  A FILTER keeps the tests
whose id contains it.  The last line printed (stdout) is

    engines: N passed, N failed[, N skipped]

Exit status: 0 when nothing failed, 1 otherwise (also when no test
matches the filter).
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class TimedResult(unittest.TextTestResult):
    """One outcome per test id, and the time each took."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.failed_ids = set()
        self.skip_reasons = {}
        self.started_ids = []
        self.times = {}
        self._t0 = None

    def startTest(self, test):
        self.started_ids.append(test.id())
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        self.times[test.id()] = time.monotonic() - self._t0
        super().stopTest(test)

    def addFailure(self, test, err):
        self.failed_ids.add(test.id())
        super().addFailure(test, err)

    def addError(self, test, err):
        self.failed_ids.add(getattr(test, "id", lambda: str(test))())
        super().addError(test, err)

    def addSkip(self, test, reason):
        self.skip_reasons[test.id()] = reason
        super().addSkip(test, reason)


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    filters = [a for a in argv if not a.startswith("-")]
    bindir = os.path.abspath(os.environ.get("CSVPACK_BIN") or
                             os.path.join(REPO, "bin"))
    missing = [p for p in ("csvpack", "csvpack-producer", "csvpack-converter",
                           "csvpack-packer", "csvpack-admin")
               if not os.access(os.path.join(bindir, p), os.X_OK)]
    if missing:
        sys.stderr.write("engines: %s missing in %s (run make)\n"
                         % (", ".join(missing), bindir))
        print("engines: 0 passed, 1 failed")
        return 1
    os.environ["CSVPACK_BIN"] = bindir
    # the e2e helpers (processes with deadlines, archive checks) and the
    # README's recipes as test_recipes.py holds them
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    sys.path.insert(0, HERE)

    loader = unittest.TestLoader()
    tests = list(flatten(loader.discover(HERE, pattern="test_*.py",
                                         top_level_dir=HERE)))
    if filters:
        tests = [t for t in tests if any(f in t.id() for f in filters)
                 or t.id().startswith("unittest.loader.")]
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2,
                                     resultclass=TimedResult)
    t0 = time.monotonic()
    result = runner.run(unittest.TestSuite(tests))
    elapsed = time.monotonic() - t0

    for tid in result.started_ids:
        state = ("FAILED" if tid in result.failed_ids else
                 "skipped: " + result.skip_reasons[tid] if tid in result.skip_reasons
                 else "passed")
        sys.stderr.write("engines: %s: %.1f s, %s\n"
                         % (tid, result.times.get(tid, 0.0), state))
    sys.stderr.write("runtime: %.1f s\n" % elapsed)
    if not tests:
        sys.stderr.write("engines: no test matches %r\n" % filters)
    sys.stderr.flush()
    failed = len(result.failed_ids)
    skipped = len(set(result.skip_reasons) - result.failed_ids)
    passed = len(set(result.started_ids) - result.failed_ids -
                 set(result.skip_reasons))
    line = "engines: %d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line, flush=True)
    if not tests:
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
