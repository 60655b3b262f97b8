"""sys.stdout and sys.stderr of every process of the program: each whole line is one Print event on the writer's
lane (value 0: stdout, 1: stderr); a partial line waits for its newline or the end of the process."""
import io
import os

from . import _native

STDOUT, STDERR = 0, 1


class _Bytes:
    """sys.stdout.buffer: bytes are decoded as UTF-8; what is not UTF-8 shows escaped (b'\\xff' -> \\xff)."""

    def __init__(self, text):
        self._text = text

    def write(self, data):
        self._text.write(bytes(data).decode("utf-8", "backslashreplace"))
        return len(data)

    def flush(self):
        pass


class TimelineStream(io.TextIOBase):
    def __init__(self, stream, original):
        super().__init__()
        self._stream = stream
        self._original = original
        self._pending = ""
        self.buffer = _Bytes(self)

    encoding = "utf-8"
    errors = "backslashreplace"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._original.fileno()

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            _native.print_line(line, self._stream)
        return len(text)

    def flush(self):
        pass

    def end_partial_line(self):
        if self._pending:
            line, self._pending = self._pending, ""
            _native.print_line(line, self._stream)

    def forget_partial_line(self):
        self._pending = ""


_streams = []


def install():
    import sys
    sys.stdout = TimelineStream(STDOUT, sys.__stdout__)
    sys.stderr = TimelineStream(STDERR, sys.__stderr__)
    _streams[:] = [sys.stdout, sys.stderr]
    # A child starts with its own lines: a partial line of the parent's stays the parent's.
    os.register_at_fork(after_in_child=lambda: [s.forget_partial_line() for s in _streams])


def end_partial_lines():
    for s in _streams:
        s.end_partial_line()
