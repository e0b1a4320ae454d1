"""scripts/test-counts.py: what `./lampi test` reports as passed, failed and skipped."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "test-counts.py")

# One ctest run as ctest 3.25 writes it with --output-junit: a discovered gtest case,
# a discovered case that skips, a whole gtest binary (three bodies, one skipped),
# the browser fixture's set-up and clean-up steps, a node --test file, a fuzzer.
JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="t" tests="8" failures="0" disabled="0" skipped="1" hostname="" time="0" timestamp="x">
 <testcase name="cloud_tests.Api.Works" classname="x" time="0.1" status="run">
  <system-out>[ RUN      ] Api.Works
[       OK ] Api.Works (12 ms)
[  PASSED  ] 1 test.
</system-out></testcase>
 <testcase name="cloud_tests.Storage/PostgreSQL.Works" classname="x" time="0.1" status="notrun">
  <skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>
  <system-out>[ RUN      ] Storage/PostgreSQL.Works
[  SKIPPED ] Storage/PostgreSQL.Works (0 ms)
[  SKIPPED ] 1 test, listed below:
[  SKIPPED ] Storage/PostgreSQL.Works
</system-out></testcase>
 <testcase name="platform_tests" classname="x" time="9" status="run">
  <system-out>[       OK ] Platform.A (100 ms)
[  SKIPPED ] Platform.B (0 ms)
[       OK ] Platform.C (3 ms)
[  SKIPPED ] 1 test, listed below:
[  SKIPPED ] Platform.B
</system-out></testcase>
 <testcase name="browser_stack_clean" classname="x" time="1" status="run"><system-out></system-out></testcase>
 <testcase name="browser_stack_up" classname="x" time="1" status="run"><system-out>/x/endpoints.json</system-out></testcase>
 <testcase name="browser_control_page" classname="x" time="30" status="run">
  <system-out>&#226;&#150;&#182; control page
\xe2\x84\xb9 tests 7
\xe2\x84\xb9 suites 1
\xe2\x84\xb9 pass 6
\xe2\x84\xb9 fail 0
\xe2\x84\xb9 cancelled 0
\xe2\x84\xb9 skipped 1
\xe2\x84\xb9 todo 0
</system-out></testcase>
 <testcase name="browser_stack_down" classname="x" time="1" status="run"><system-out>lampi: stopped</system-out></testcase>
 <testcase name="fuzz.lamp_codec_fuzz" classname="x" time="20" status="run"><system-out>Done 1000 runs</system-out></testcase>
 <testcase name="stack.test_counts" classname="x" time="2" status="run"><system-out>..s.
----------------------------------------------------------------------
Ran 4 tests in 0.010s

OK (skipped=1)
</system-out></testcase>
</testsuite>
""".replace("\\xe2\\x84\\xb9", "\u2139")

PLAN = {
    "tests": [
        {"name": "browser_stack_clean", "properties": [{"name": "FIXTURES_SETUP", "value": ["clean"]},
                                                       {"name": "LABELS", "value": ["browser"]}]},
        {"name": "browser_stack_up", "properties": [{"name": "FIXTURES_SETUP", "value": ["stack"]}]},
        {"name": "browser_stack_down", "properties": [{"name": "FIXTURES_CLEANUP", "value": ["stack"]}]},
    ]
}


def count(junit, plan=PLAN, *flags):
    with tempfile.TemporaryDirectory() as d:
        junit_file, plan_file = os.path.join(d, "j.xml"), os.path.join(d, "p.json")
        with open(junit_file, "w", encoding="utf-8") as f:
            f.write(junit)
        with open(plan_file, "w", encoding="utf-8") as f:
            json.dump(plan, f)
        done = subprocess.run([sys.executable, SCRIPT, *flags, junit_file, plan_file],
                              capture_output=True, text=True, check=True)
        return tuple(int(n) for n in done.stdout.split())


def failures_listed(junit):
    """The counts of `junit` and the text --failures-file writes for it."""
    with tempfile.TemporaryDirectory() as d:
        failures = os.path.join(d, "failures.txt")
        counts = count(junit, PLAN, "--failures-file", failures)
        with open(failures, encoding="utf-8") as f:
            return counts, f.read()


class TestCounts(unittest.TestCase):
    def test_bodies_are_counted_skips_are_not_passes_and_fixture_steps_are_not_tests(self):
        # Passed: Api.Works, Platform.A and C, six node tests, the fuzzer, three Python tests.
        # Skipped: Storage/PostgreSQL.Works, Platform.B, one node test, one Python test.
        self.assertEqual(count(JUNIT), (13, 0, 4))

    def test_in_ci_a_skip_is_a_failure(self):
        self.assertEqual(count(JUNIT, PLAN, "--skip-fails"), (13, 4, 0))

    def test_in_ci_a_missing_label_is_a_failure(self):
        self.assertEqual(count(JUNIT, PLAN, "--require-label", "browser"), (13, 0, 4))
        self.assertEqual(count(JUNIT, {"tests": []}, "--require-label", "browser")[1], 1)

    def test_a_failed_fixture_step_fails_the_run_and_its_dependents_fail(self):
        junit = JUNIT.replace('name="browser_stack_up" classname="x" time="1" status="run">',
                              'name="browser_stack_up" classname="x" time="1" status="fail"><failure message=""/>')
        junit = junit.replace('name="browser_control_page" classname="x" time="30" status="run">',
                              'name="browser_control_page" classname="x" time="0" status="notrun">'
                              '<skipped message="Fixture dependency failed"/>')
        self.assertEqual(count(junit), (7, 2, 3))

    def test_a_whole_binary_that_crashes_after_its_bodies_counts_as_a_failure(self):
        junit = JUNIT.replace('name="platform_tests" classname="x" time="9" status="run">',
                              'name="platform_tests" classname="x" time="9" status="fail"><failure message=""/>')
        self.assertEqual(count(junit), (13, 1, 4))

    def test_a_failed_body_inside_a_whole_binary_counts_once(self):
        junit = JUNIT.replace('name="platform_tests" classname="x" time="9" status="run">',
                              'name="platform_tests" classname="x" time="9" status="fail"><failure message=""/>')
        junit = junit.replace("[       OK ] Platform.C (3 ms)", "[  FAILED  ] Platform.C (3 ms)")
        self.assertEqual(count(junit), (12, 1, 4))

    def test_a_failed_body_is_listed_with_its_assertion_and_without_log_lines(self):
        junit = JUNIT.replace('name="platform_tests" classname="x" time="9" status="run">',
                              'name="platform_tests" classname="x" time="9" status="fail"><failure message=""/>')
        junit = junit.replace("[       OK ] Platform.C (3 ms)",
                              "[ RUN      ] Platform.C\n[2026-12-01 19:41:01.405] [info] a log line\n"
                              "tests/platform.cpp:42: Failure\nExpected equality of these values:\n"
                              "  state.on\n    Which is: false\n[  FAILED  ] Platform.C (3 ms)")
        listed = failures_listed(junit)[1]
        self.assertIn("failed:  platform_tests: Platform.C\n      tests/platform.cpp:42: Failure\n", listed)
        self.assertIn("Which is: false", listed)
        self.assertNotIn("a log line", listed)

    def test_a_crash_outside_any_reported_body_is_listed_with_what_the_sanitizer_said(self):
        junit = JUNIT.replace(
            '<testcase name="cloud_tests.Api.Works" classname="x" time="0.1" status="run">\n'
            '  <system-out>[ RUN      ] Api.Works\n[       OK ] Api.Works (12 ms)\n',
            '<testcase name="cloud_tests.Api.Works" classname="x" time="0.1" status="fail"><failure message=""/>\n'
            '  <system-out>[ RUN      ] Api.Works\n[2026-12-01 22:05:09.566] [info] migrated\n'
            '==7143==ERROR: AddressSanitizer: heap-use-after-free on address 0x6110\n'
            '    #0 0x5568 in spdlog::logger::log_\n')
        self.assertIn('status="fail"', junit)
        counts, listed = failures_listed(junit)
        self.assertEqual(counts[1], 1)
        self.assertIn("failed:  cloud_tests.Api.Works (fail)\n      ==7143==ERROR: AddressSanitizer: heap-use-after-free", listed)
        self.assertIn("#0 0x5568 in spdlog::logger::log_", listed)
        self.assertNotIn("migrated", listed)

    def test_failed_python_tests_count_each(self):
        junit = JUNIT.replace("OK (skipped=1)", "FAILED (failures=1, errors=1, skipped=1)")
        junit = junit.replace('name="stack.test_counts" classname="x" time="2" status="run">',
                              'name="stack.test_counts" classname="x" time="2" status="fail"><failure message=""/>')
        self.assertEqual(count(junit), (11, 2, 4))

    def test_an_unreadable_junit_file_is_a_failure(self):
        self.assertEqual(count("not xml"), (0, 1, 0))


if __name__ == "__main__":
    unittest.main()
