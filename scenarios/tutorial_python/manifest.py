"""The tutorials' own Python examples: their manifest (index.json), how to run one as a student would, and how to
normalize what it prints so that two runs (CPython and CPython, or CPython and `forkscope-cli run FILE.py --json`)
can be compared.

A run's output is a list of lines: stdout's lines, then stderr's lines prefixed with "stderr: " (see
lines_from_streams and lines_from_forkscope). normalize(entry, lines) applies the entry's "normalize" rules in order
to every line (each {"regex": ..., "as": placeholder} replaces the matches, {"regex": ..., "drop": true} removes the
lines that match: lines that may or may not be printed), then its "compare" mode: "exact" keeps the order,
"sorted" sorts the lines, "count" keeps only their number (["<N lines>"]). Two runs agree when their normalized
lists are equal.

run(entry) runs the file with Debian's /usr/bin/python3.11 in a fresh temp cwd (setup_files written first), with
no PYTHON* variable in the environment, stdin from /dev/null and stdout on a pseudo-terminal, as in a student's
terminal (line-buffered; with pipe=True stdout is a pipe instead, as when redirected: block-buffered, so a child
killed by SIGTERM, e.g. a daemon, loses what it printed). The whole process group is killed at the end and the
temp dir removed, whatever happens.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INDEX = os.path.join(HERE, 'index.json')
PYTHON = '/usr/bin/python3.11'


def load(path=INDEX):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def checkable(entries):
    """The entries a checker runs: runnable files that end on their own."""
    return [e for e in entries if e.get('file') and e.get('runnable') and not e.get('blocks_forever')]


def lines_from_streams(stdout, stderr):
    out = [line.rstrip('\r') for line in stdout.splitlines()]
    return out + ['stderr: ' + line.rstrip('\r') for line in stderr.splitlines()]


def lines_from_forkscope(report):
    """The lines of `forkscope-cli run FILE.py --json`: {"lines": [{"pid", "name", "stream", "text"}, ...]}."""
    lines = report.get('lines', [])
    return ([x['text'] for x in lines if x.get('stream') != 'stderr']
            + ['stderr: ' + x['text'] for x in lines if x.get('stream') == 'stderr'])


def normalize(entry, lines):
    for rule in entry.get('normalize', []):
        pattern = re.compile(rule['regex'])
        if rule.get('drop'):  # a line that may or may not be printed (e.g. a daemon's, racing its termination)
            lines = [line for line in lines if not pattern.search(line)]
        else:
            lines = [pattern.sub(rule['as'], line) for line in lines]
    mode = entry.get('compare', 'exact')
    if mode == 'sorted':
        return sorted(lines)
    if mode == 'count':
        return ['<%d lines>' % len(lines)]
    if mode != 'exact':
        raise ValueError('%s: unknown compare mode %r' % (entry.get('file'), mode))
    return list(lines)


def _exited(pid):
    """True once the process has ended; leaves it unreaped, so its process group id cannot be reused yet."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(proc):
    """SIGKILL whatever is left of the program's processes (its main is not reaped yet, so the group id is ours)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(entry, timeout=60.0, pipe=False, python=PYTHON):
    """Run an entry's file once. Returns {"seconds", "returncode", "timed_out", "lines"} (lines not normalized)."""
    tmp = tempfile.mkdtemp(prefix='tutorial-python.')
    fds = []
    proc = None
    try:
        for name, text in entry.get('setup_files', {}).items():
            with open(os.path.join(tmp, name), 'w', encoding='utf-8') as f:
                f.write(text)
        out_r, out_w = os.pipe() if pipe else os.openpty()
        err_r, err_w = os.pipe()
        fds = [out_r, err_r]
        env = {k: v for k, v in os.environ.items() if not k.startswith('PYTHON')}
        start = time.monotonic()
        try:
            proc = subprocess.Popen([python, os.path.join(HERE, entry['file'])] + entry.get('args', []), cwd=tmp,
                                    env=env, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                                    start_new_session=True)
        finally:
            os.close(out_w)
            os.close(err_w)
        data = {out_r: [], err_r: []}
        open_fds = set(fds)
        deadline = start + timeout
        while open_fds and time.monotonic() < deadline:
            ready, _, _ = select.select(list(open_fds), [], [], max(0.0, deadline - time.monotonic()))
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: no process holds the terminal any more
                    chunk = b''
                if chunk:
                    data[fd].append(chunk)
                else:
                    open_fds.discard(fd)
        while not _exited(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        seconds = time.monotonic() - start
        timed_out = not _exited(proc.pid)
        _kill_group(proc)
        returncode = proc.wait()
        text = [b''.join(data[fd]).decode('utf-8', 'replace') for fd in fds]
        return {'seconds': seconds, 'returncode': None if timed_out else returncode, 'timed_out': timed_out,
                'lines': lines_from_streams(*text)}
    finally:
        if proc is not None and proc.returncode is None:
            _kill_group(proc)
            proc.wait()
        for fd in fds:
            os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)


def run_forkscope(entry, cli, timeout=60.0):
    """Run an entry's file under `forkscope-cli run FILE.py --json` in a fresh temp cwd, as run() does plainly.
    Returns {"seconds", "returncode", "lines"} (lines not normalized)."""
    tmp = tempfile.mkdtemp(prefix='tutorial-python.')
    try:
        for name, text in entry.get('setup_files', {}).items():
            with open(os.path.join(tmp, name), 'w', encoding='utf-8') as f:
                f.write(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith('PYTHON')}
        start = time.monotonic()
        done = subprocess.run([cli, 'run', os.path.join(HERE, entry['file']), '--json', '--timeout', str(timeout), '--']
                              + entry.get('args', []), cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout + 30)
        report = json.loads(done.stdout or b'{}')
        return {'seconds': time.monotonic() - start, 'returncode': report.get('exitcode'),
                'lines': lines_from_forkscope(report)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
