"""The main process of a Python run. The viewer starts
    /usr/bin/python3.11 -c 'import sys; sys.path.insert(0, DIR); from forkscope import _boot; _boot.main()' SESSION FILE [ARGS...]
This attaches the process to the run's session as MainProcess, wires Forkscope into multiprocessing, then runs FILE
as `python3.11 FILE ARGS` would: as __main__, with sys.argv = [FILE, ARGS...] and FILE's folder first on sys.path.
"""
import atexit
import json
import os
import sys

from . import _native

# Exit code of a run whose program could not start (unreadable, not Python): the viewer says why and exits 2.
BAD_PROGRAM = 2


def _exit_code(exit):
    """What `raise SystemExit(x)` means for the exit status, as CPython decides it."""
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _report(facts):
    _native.emit_text(_native.EVENT["LessonResult"], 0, 0, 0, json.dumps(facts))


def _print_traceback(error):
    import traceback
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next  # the program's frames only, as `python3.11 FILE` shows them
    traceback.print_exception(type(error), error, tb)


def main():
    session, path, *args = sys.argv[1:]
    _native.attach(session)
    from . import _streams
    _streams.install()
    ending = {"code": 0}

    def end():  # registered first, so it runs last: after multiprocessing has joined the children
        _streams.end_partial_lines()
        _native.process_end(ending["code"])

    atexit.register(end)
    try:
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError) as e:
        if isinstance(e, SyntaxError):
            _print_traceback(e)
            why = f"{type(e).__name__} in {e.filename}, line {e.lineno}: {e.msg}"
        else:
            why = f"cannot read {path}: {e.strerror if isinstance(e, OSError) else e}"
        _report({"bad_program": why})
        ending["code"] = BAD_PROGRAM
        sys.exit(BAD_PROGRAM)

    from . import _patch
    _patch.install(path)
    _native.set_program(code.co_filename)
    sys.argv = [path, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    main_module = sys.modules["__main__"]
    globals_ = main_module.__dict__
    globals_.clear()
    globals_.update(__name__="__main__", __file__=path, __doc__=None, __builtins__=__builtins__,
                    __loader__=None, __spec__=None, __package__=None, __cached__=None)
    try:
        exec(code, globals_)
    except SystemExit as e:
        ending["code"] = _exit_code(e)
    except KeyboardInterrupt as e:
        _print_traceback(e)
        ending["code"] = 130
    except BaseException as e:
        _print_traceback(e)
        ending["code"] = 1
    sys.exit(ending["code"])
