#!/usr/bin/env python3
"""Counts the test bodies of one ctest run from its JUnit file (ctest --output-junit).

A ctest entry is not always one test: a whole gtest binary (lampi_test ... WHOLE), a
node --test file or a Python unittest file holds many. So each entry's output is read:
gtest's per-test result lines, node's summary and unittest's "Ran N tests" give the
bodies; an entry with none of them (a fuzzer, a script) is one test. Fixture steps (FIXTURES_SETUP / FIXTURES_CLEANUP, from
`ctest --show-only=json-v1`) are not tests: they are left out of the counts, and a
failed one is reported as a failure of the run.

Prints one line, "<passed> <failed> <skipped>", on stdout and explains every failure
and skip on stderr. With --skip-fails (CI, which installs everything) a skip is a
failure.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

GTEST_RESULT = re.compile(r"^\[ +(OK|FAILED|SKIPPED) +\] (\S+) \(\d+ ms\)$", re.M)
NODE_SUMMARY = re.compile(r"^\S* ?(tests|pass|fail|cancelled|skipped|todo) (\d+)$", re.M)
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)
UNITTEST_OUTCOME = re.compile(r"^(OK|FAILED)(?: \((.*)\))?$", re.M)
# How much of a failed body's output the closing summary repeats: the run's tail is
# what survives when a long log is cut, so the reason must be there too.
EXCERPT_LINES = 8


def fixture_steps(show_only_json):
    with open(show_only_json, encoding="utf-8") as f:
        plan = json.load(f)
    steps, labels = set(), set()
    for test in plan.get("tests", []):
        for prop in test.get("properties", []):
            if prop["name"] in ("FIXTURES_SETUP", "FIXTURES_CLEANUP"):
                steps.add(test["name"])
            if prop["name"] == "LABELS":
                labels.update(prop["value"])
    return steps, labels


def bodies(output):
    """(passed count, failed names, skipped names) read from an entry's output, or None."""
    gtest = GTEST_RESULT.findall(output)
    if gtest:
        passed = sum(1 for kind, _ in gtest if kind == "OK")
        failed = [name for kind, name in gtest if kind == "FAILED"]
        skipped = [name for kind, name in gtest if kind == "SKIPPED"]
        return passed, failed, skipped
    node = dict((key, int(value)) for key, value in NODE_SUMMARY.findall(output))
    if "tests" in node and "pass" in node:
        failed = node.get("fail", 0) + node.get("cancelled", 0)
        skipped = node.get("skipped", 0) + node.get("todo", 0)
        return node["pass"], ["(node test)"] * failed, ["(node test)"] * skipped
    ran = UNITTEST_RAN.search(output)
    outcome = UNITTEST_OUTCOME.search(output, ran.end()) if ran else None
    if ran and outcome:
        details = dict(part.split("=") for part in (outcome.group(2) or "").split(", ") if "=" in part)
        failed = int(details.get("failures", 0)) + int(details.get("errors", 0))
        skipped = int(details.get("skipped", 0)) + int(details.get("expected failures", 0))
        passed = int(ran.group(1)) - failed - skipped
        return passed, ["(python test)"] * failed, ["(python test)"] * skipped
    return None


def failure_excerpt(output, body):
    """The first assertion lines gtest printed for a failed body, without log lines."""
    block = re.search(r"^\[ RUN +\] " + re.escape(body) + r"$(.*?)^\[ +FAILED +\] " + re.escape(body) + r" ",
                      output, re.M | re.S)
    if not block:
        return []
    lines = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("[20")]
    first = next((i for i, line in enumerate(lines) if ": Failure" in line or "rror" in line), 0)
    return lines[first:first + EXCERPT_LINES]


CRASH = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|terminate called|Segmentation fault|"
                   r"Timeout|: Failure$", re.M)


def crash_excerpt(output):
    """What a sanitizer, a crash or an assertion printed first, for an entry with no failed body to name."""
    found = CRASH.search(output)
    if not found:
        return []
    lines = output[output.rfind("\n", 0, found.start()) + 1:].splitlines()
    return [line for line in lines if line.strip() and not line.startswith("[20")][:EXCERPT_LINES]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit")
    parser.add_argument("show_only_json")
    parser.add_argument("--skip-fails", action="store_true", help="count a skip as a failure (CI)")
    parser.add_argument("--failures-file", help="write each failure with its first assertion lines here")
    parser.add_argument("--require-label", action="append", default=[],
                        help="fail when no test carries this label (a test that was not even registered)")
    args = parser.parse_args()

    steps, labels = fixture_steps(args.show_only_json)
    passed, failed, skipped = 0, [], []
    excerpts = {}
    for label in args.require_label:
        if label not in labels:
            failed.append(f"(no test labelled '{label}' is registered: is its tool installed?)")
    try:
        root = ET.parse(args.junit).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"cannot read {args.junit}: {e}", file=sys.stderr)
        print(f"0 1 0")
        return
    for case in root.iter("testcase"):
        name = case.get("name")
        status = case.get("status")
        out = case.findtext("system-out") or ""
        skip = case.find("skipped")
        skip_reason = skip.get("message", "") if skip is not None else ""
        if name in steps:
            if status == "fail" or (status == "notrun" and not skip_reason.startswith("SKIP_")):
                failed.append(f"{name} (fixture step)")
            continue
        found = bodies(out) if status in ("run", "fail") or skip_reason.startswith("SKIP_") else None
        if found:
            p, f, s = found
            passed += p
            failed += [f"{name}: {n}" if n != name else n for n in f]
            excerpts.update((f"{name}: {n}", failure_excerpt(out, n)) for n in f)
            skipped += [f"{name}: {n}" if n != name else n for n in s]
            if status == "fail" and not f:
                # Crashed, timed out or failed outside any test body.
                failed.append(f"{name} (exited with a failure after its last reported test)")
                excerpts[failed[-1]] = crash_excerpt(out)
        elif status == "run":
            passed += 1
        elif status == "disabled" or (status == "notrun" and skip_reason.startswith("SKIP_")):
            skipped.append(name)
        else:
            failed.append(f"{name} ({skip_reason or status})")
            excerpts[failed[-1]] = crash_excerpt(out)

    if args.skip_fails:
        failed += [f"{name} (skipped, but CI installs everything)" for name in skipped]
        skipped = []
    for name in failed:
        print(f"  failed:  {name}", file=sys.stderr)
    for name in skipped:
        print(f"  skipped: {name}", file=sys.stderr)
    if args.failures_file:
        with open(args.failures_file, "w", encoding="utf-8") as f:
            for name in failed:
                f.write(f"  failed:  {name}\n")
                f.writelines(f"      {line}\n" for line in excerpts.get(name, []))
    print(f"{passed} {len(failed)} {len(skipped)}")


if __name__ == "__main__":
    main()
