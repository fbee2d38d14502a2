#!/usr/bin/python3
"""Counts every test case of a `scripts/check.sh` run.

Sources:
  --check DIR      a Meson build directory whose C unit tests ran: every
                   <test> element of each Check XML log DIR/tests/unit/*.xml
                   is one case; DIR/meson-logs/testlog.json tells which
                   binaries Meson ran and how they ended, so a binary that
                   crashed before (or while) writing its log still counts as
                   a failure instead of silently vanishing.
  --junit FILE     a pytest junit XML file: every <testcase> is one case
                   (give one file per run: the same test run on SQLite and
                   on PostgreSQL counts twice).
  --broken TEXT    a step that broke (build failed, pytest crashed, ...);
                   each counts as one failure so the summary never reads
                   "0 failed" when something went wrong.

The last line printed is exactly "N passed, N failed[, N skipped]".
Exit status: 0 when nothing failed, 1 otherwise.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET


def local(tag):
    """Element name without its XML namespace (Check uses one)."""
    return tag.rsplit('}', 1)[-1]


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []   # human-readable lines

    def fail(self, what):
        self.failed += 1
        self.failures.append(what)


def meson_results(builddir):
    """{test name: (result, returncode)} from Meson's last `meson test` run."""
    path = os.path.join(builddir, 'meson-logs', 'testlog.json')
    results = {}
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                results[entry.get('name', '?')] = (entry.get('result', '?'),
                                                   entry.get('returncode'))
    except OSError:
        pass
    return results


def check_log(path):
    """(passed, [(id, result, message)] of the others) from one Check XML log."""
    passed = 0
    bad = []
    root = ET.parse(path).getroot()
    for el in root.iter():
        if local(el.tag) != 'test':
            continue
        result = el.get('result', '')
        fields = {local(c.tag): (c.text or '').strip() for c in el}
        if result == 'success':
            passed += 1
        else:
            name = fields.get('id', '?')
            if fields.get('iteration', '0') not in ('', '0'):
                name += '[%s]' % fields['iteration']
            bad.append((name, result or 'unknown', '%s: %s' % (
                fields.get('fn', '?'), fields.get('message', ''))))
    return passed, bad


def count_check(builddir, tally):
    label = os.path.basename(os.path.normpath(builddir))
    ran = meson_results(builddir)
    logdir = os.path.join(builddir, 'tests', 'unit')
    logs = {}
    if os.path.isdir(logdir):
        for fn in sorted(os.listdir(logdir)):
            if fn.endswith('.xml'):
                logs[fn[:-4]] = os.path.join(logdir, fn)
    if not ran and not logs:
        tally.fail('%s: no unit test results (did meson test run?)' % label)
        return
    for name in sorted(set(ran) | set(logs)):
        result, rc = ran.get(name, (None, None))
        path = logs.get(name)
        passed = 0
        bad = []
        if path is not None:
            try:
                passed, bad = check_log(path)
            except (ET.ParseError, OSError) as e:
                # A truncated log means the binary died while writing it.
                tally.fail('%s/%s: unreadable Check log %s (%s)' % (label, name, path, e))
                continue
        tally.passed += passed
        for case, res, msg in bad:
            tally.fail('%s/%s: %s %s (%s)' % (label, name, case, res, msg))
        if result is None:
            # A log without a Meson result: left over from a binary that is
            # no longer a test; its cases were counted above.
            continue
        if path is None:
            if result == 'SKIP':
                tally.skipped += 1
            else:
                tally.fail('%s/%s: no Check XML log written (meson: %s, exit %s)'
                           % (label, name, result, rc))
        elif result not in ('OK', 'EXPECTEDFAIL') and not bad:
            # The cases that got logged passed, but the binary did not: a
            # crash, a sanitizer report at exit, a leak, a timeout.
            tally.fail('%s/%s: binary ended with %s (exit %s) although its logged cases passed'
                       % (label, name, result, rc))


def count_junit(path, tally):
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        tally.fail('pytest: no usable junit XML %s (%s)' % (path, e))
        return
    # The suite name (check.sh sets e.g. "system-postgresql") tells apart
    # the runs of one test on each database.
    suites = [el.get('name') for el in root.iter('testsuite') if el.get('name')]
    label = suites[0] if suites and suites[0] != 'pytest' else os.path.basename(path)
    for case in root.iter('testcase'):
        name = '%s: %s::%s' % (label, case.get('classname', '?'), case.get('name', '?'))
        kinds = {local(c.tag) for c in case}
        if 'failure' in kinds or 'error' in kinds:
            msgs = [c.get('message', '') for c in case if local(c.tag) in ('failure', 'error')]
            tally.fail('pytest: %s (%s)' % (name, '; '.join(m.splitlines()[0] if m else ''
                                                          for m in msgs)[:300]))
        elif 'skipped' in kinds:
            tally.skipped += 1
        else:
            tally.passed += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='append', default=[], metavar='BUILDDIR')
    ap.add_argument('--junit', action='append', default=[], metavar='FILE')
    ap.add_argument('--broken', action='append', default=[], metavar='STEP')
    args = ap.parse_args()

    tally = Tally()
    for d in args.check:
        count_check(d, tally)
    for j in args.junit:
        count_junit(j, tally)
    for step in args.broken:
        tally.fail('step broke: %s' % step)

    if tally.failures:
        print('Failures:')
        for line in tally.failures:
            print('  ' + line)
    summary = '%d passed, %d failed' % (tally.passed, tally.failed)
    if tally.skipped:
        summary += ', %d skipped' % tally.skipped
    sys.stdout.flush()
    print(summary)
    return 1 if tally.failed else 0


if __name__ == '__main__':
    sys.exit(main())
