"""CPython's own multiprocessing test suite (Debian's libpython3.11-testsuite, test._test_multiprocessing), unchanged,
fork flavour: the WithProcesses* and WithManager* classes and the plain TestCase classes (not WithThreads*, which test
multiprocessing.dummy). Run it plainly and under Forkscope; both must pass the same tests:

    /usr/bin/python3.11 tests/python/cpython_multiprocessing.py [OUT.json [PATTERN...]]
    forkscope-cli run tests/python/cpython_multiprocessing.py -- [OUT.json [PATTERN...]]

Prints the counts and every skip with its reason, and writes them as JSON to OUT.json. Exit code 0 when nothing
failed, 1 otherwise.
"""
import json
import sys
import time
import unittest

import test._test_multiprocessing

# As Lib/test/test_multiprocessing_fork.py does: the test classes, setUpModule and tearDownModule, into this module.
test._test_multiprocessing.install_tests_in_module_dict(globals(), "fork")


def selected_classes():
    names = sorted(name for name, value in globals().items()
                   if isinstance(value, type) and issubclass(value, unittest.TestCase)
                   and value.__module__ == __name__ and not name.startswith("WithThreads"))
    return [globals()[name] for name in names]


class Result(unittest.TextTestResult):
    """unittest's own result, which also remembers the tests that passed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = []
        self.seconds = {}

    def startTest(self, test):
        super().startTest(test)
        self._started = time.monotonic()

    def stopTest(self, test):
        super().stopTest(test)
        self.seconds[test.id()] = time.monotonic() - self._started

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test.id())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else None
    loader = unittest.TestLoader()
    if len(sys.argv) > 2:  # only the tests whose id contains one of these (to look at a few)
        loader.testNamePatterns = [f"*{p}*" for p in sys.argv[2:]]
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(cls) for cls in selected_classes())
    started = time.monotonic()
    result = unittest.TextTestRunner(resultclass=Result, verbosity=1, stream=sys.stderr).run(suite)
    wall = time.monotonic() - started

    def ids(pairs):
        return sorted(test.id() for test, _ in pairs)

    facts = {
        "run": result.testsRun,
        "passed": len(result.passed),
        "failed": len(result.failures),
        "errors": len(result.errors),
        "skipped": len(result.skipped),
        "expected_failures": len(result.expectedFailures),
        "unexpected_successes": len(result.unexpectedSuccesses),
        "failing_ids": sorted(ids(result.failures) + ids(result.errors)
                              + [t.id() for t in result.unexpectedSuccesses]),
        "skips": sorted([test.id(), reason] for test, reason in result.skipped),
        "expected_failure_ids": ids(result.expectedFailures),
        "passed_ids": sorted(result.passed),
        "wall_seconds": round(wall, 2),
        "slowest": sorted(([t, round(s, 2)] for t, s in result.seconds.items()), key=lambda p: -p[1])[:15],
    }
    print(f"run {facts['run']}, passed {facts['passed']}, failed {facts['failed']}, errors {facts['errors']}, "
          f"skipped {facts['skipped']}, expected failures {facts['expected_failures']}, "
          f"unexpected successes {facts['unexpected_successes']}, {facts['wall_seconds']} s")
    for test_id, reason in facts["skips"]:
        print(f"skipped {test_id}: {reason}")
    for test_id in facts["failing_ids"]:
        print(f"FAILED {test_id}")
    if out:
        with open(out, "w") as f:
            json.dump(facts, f, indent=1)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
