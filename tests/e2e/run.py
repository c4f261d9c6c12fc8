#!/usr/bin/env python3
"""Run the csvpack end-to-end tests.

    CSVPACK_BIN=/abs/path/bin python3 tests/e2e/run.py [FILTER...]

Discovers tests/e2e/test_*.py and runs them with unittest, one line per
test.  A FILTER keeps the tests whose id (module.Class.test_name) contains
it as a substring; several filters keep the tests matching any.  The last
line printed (stdout) is

    e2e: N passed, N failed[, N skipped]

where "failed" counts failures and errors (a test with several failing
subtests counts once).  Exit status: 0 when nothing failed, 1 otherwise
(also when no test matches the filter).
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class CountingResult(unittest.TextTestResult):
    """Remembers one outcome per test id."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.failed_ids = set()
        self.skipped_ids = set()
        self.started_ids = []

    @staticmethod
    def _id(test):
        base = getattr(test, "test_case", None)   # a _SubTest
        return (base or test).id()

    def startTest(self, test):
        self.started_ids.append(self._id(test))
        super().startTest(test)

    def addFailure(self, test, err):
        self.failed_ids.add(self._id(test))
        super().addFailure(test, err)

    def addError(self, test, err):
        self.failed_ids.add(self._id(test))
        super().addError(test, err)

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self.failed_ids.add(self._id(test))
        super().addSubTest(test, subtest, err)

    def addSkip(self, test, reason):
        self.skipped_ids.add(self._id(test))
        super().addSkip(test, reason)

    def addUnexpectedSuccess(self, test):
        self.failed_ids.add(self._id(test))
        super().addUnexpectedSuccess(test)


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main(argv):
    filters = [a for a in argv if not a.startswith("-")]
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    bindir = os.environ.get("CSVPACK_BIN") or os.path.join(
        os.path.dirname(os.path.dirname(HERE)), "bin")
    missing = [p for p in ("csvpack", "csvpack-producer",
                           "csvpack-converter", "csvpack-packer")
               if not os.access(os.path.join(bindir, p), os.X_OK)]
    if missing:
        sys.stderr.write("e2e: %s missing in %s (run make)\n"
                         % (", ".join(missing), bindir))
        print("e2e: 0 passed, 1 failed")
        return 1
    os.environ["CSVPACK_BIN"] = os.path.abspath(bindir)
    sys.path.insert(0, HERE)

    loader = unittest.TestLoader()
    discovered = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    tests = list(flatten(discovered))
    if filters:
        # Import errors show up as failed-import tests: keep them always.
        tests = [t for t in tests if any(f in t.id() for f in filters)
                 or t.id().startswith("unittest.loader.")]
    suite = unittest.TestSuite(tests)

    t0 = time.monotonic()
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    elapsed = time.monotonic() - t0

    # Errors outside any test (class/module fixtures) are in failed_ids
    # too, under their own ids.
    failed = len(result.failed_ids)
    skipped = len(result.skipped_ids - result.failed_ids)
    ran = set(result.started_ids)
    passed = len(ran - result.failed_ids - result.skipped_ids)

    sys.stderr.write("runtime: %.1f s\n" % elapsed)
    if not tests:
        sys.stderr.write("e2e: no test matches %r\n" % filters)
    sys.stderr.flush()
    line = "e2e: %d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line, flush=True)
    if not tests:
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
