"""Wires Forkscope into CPython's own multiprocessing. CPython keeps every semantic; Forkscope only watches:

- every SemLock (the semaphore behind each Lock, RLock, Semaphore, Condition, Event and the locks inside queues and
  pools) is forkscope._native.SemLock: robust, and traced when the program made it itself;
- each operation the program writes (q.put, e.wait, p.join, conn.recv, ...) passes the gate once and is one event,
  whatever locks and pipes it uses inside; those inner waits show as that operation blocked;
- processes are named before fork (the child becomes its slot inside fork()), end with their exit code, and are
  reaped with theirs;
- time.sleep sleeps in program time (the speed slider) and shows as sleeping.
Objects take the name the program gives them where the source line says it (`mutex = Lock()` -> "mutex").
"""
import linecache
import os
import re
import sys
import threading
import time

from . import _native
from . import _streams

E = _native.EVENT
O = _native.OBJECT
_LIBRARY = os.path.dirname(os.__file__)
_OURS = os.path.dirname(__file__)
_SEM_VALUE_MAX = 2**31 - 1  # _multiprocessing.SemLock.SEM_VALUE_MAX on Linux: what Queue() keeps as its maxsize
_ASSIGNED = re.compile(r"\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=[^=]")


class _Inner(threading.local):
    depth = 0  # > 0 while multiprocessing builds an object's inner parts (a queue's locks, a pool's queues)


_inner = _Inner()


def _user_line():
    """The program's own frame that led here (not the standard library's, not ours), and its source line."""
    f = sys._getframe(2)
    while f is not None and (f.f_code.co_filename.startswith(_LIBRARY) or f.f_code.co_filename.startswith(_OURS)):
        f = f.f_back
    if f is None:
        return ""
    return linecache.getline(f.f_code.co_filename, f.f_lineno)


def _name_from_source():
    m = _ASSIGNED.match(_user_line())
    return m.group(1).replace(" ", "") if m else ""


def _wrap(owner, name, make):
    original = getattr(owner, name)
    setattr(owner, name, make(original))


def _inner_init(cls):
    """The objects cls builds inside itself are its parts, not objects of the program."""
    def make(original):
        def __init__(self, *args, **kwargs):
            _inner.depth += 1
            try:
                original(self, *args, **kwargs)
            finally:
                _inner.depth -= 1
        return __init__
    _wrap(cls, "__init__", make)


def _visible(cls, kind):
    """A SemLock-based object the program made: an object on the timeline."""
    def make(original):
        def __init__(self, *args, **kwargs):
            original(self, *args, **kwargs)
            if _inner.depth == 0 and _ours(self._semlock):
                self._semlock._forkscope_show(O[kind], _name_from_source())
        return __init__
    _wrap(cls, "__init__", make)


def _operation(kind, of, done=lambda self, result: (0, 0), blocks=None):
    """Wraps a method as one operation on the object `of(self)` gives (None: not traced). `done` turns its result
    into the Done event's value and arg; `blocks(self, *args)` says beforehand that it will wait (for waits the
    kernel does outside any SemLock or pipe)."""
    def make(original):
        def operation(self, *args, **kwargs):
            traced = of(self)
            if traced is None:
                return original(self, *args, **kwargs)
            object_, key, peer = traced
            _native.op_begin(kind, object_, key, peer)
            try:
                if blocks is not None:
                    timed = blocks(self, *args, **kwargs)
                    if timed is not None:
                        _native.blocking(timed)
                result = original(self, *args, **kwargs)
            except BaseException:
                _native.op_fail()
                raise
            _native.op_done(*done(self, result))
            return result
        operation.__name__ = original.__name__
        operation.__doc__ = original.__doc__
        return operation
    return make


def _counted(kind, counter):
    """A queue's put or get: one operation whose Done carries the item's number (put #n is got as #n). In C
    (_native.counted), since it runs once per message: as a Python function it cost more than the tracing."""
    return lambda original: _native.counted(kind, counter, original)


def _traced(attribute):
    def of(self):
        info = self.__dict__.get(attribute)
        return None if info is None else (info[0], info[0], 0)
    return of


# ---- locks, semaphores, conditions, events -------------------------------------------------------------------

def _semlock_of_context(cpython_semlock):
    """What multiprocessing.synchronize calls `_multiprocessing.SemLock`. CPython unlinks a semaphore's name at once
    exactly when the start method is fork (unlink=True): a fork child shares the semaphore itself, and gets ours. With
    spawn or forkserver the child is a fresh interpreter, not attached to the run, that opens the semaphore by name:
    such a one stays CPython's own (untraced), so that both sides share one semaphore, as they do without Forkscope."""
    import types

    def SemLock(kind, value, maxvalue, name, unlink):
        return (_native.SemLock if unlink else cpython_semlock)(kind, value, maxvalue, name, unlink)

    def _rebuild(handle, kind, maxvalue, name):
        return (_native.SemLock if name is None else cpython_semlock)._rebuild(handle, kind, maxvalue, name)
    SemLock._rebuild = _rebuild
    SemLock.SEM_VALUE_MAX = cpython_semlock.SEM_VALUE_MAX
    return types.SimpleNamespace(SemLock=SemLock)


def _ours(semlock):
    return isinstance(semlock, _native.SemLock)


def _install_synchronize():
    import _multiprocessing
    cpython_semlock = _multiprocessing.SemLock
    _multiprocessing.SemLock = _native.SemLock
    from multiprocessing import synchronize as s
    s.SemLock.__init__.__globals__["_multiprocessing"] = _semlock_of_context(cpython_semlock)
    _visible(s.Lock, "Lock")
    _visible(s.RLock, "RLock")
    _visible(s.BoundedSemaphore, "BoundedSemaphore")

    original_semaphore_init = s.Semaphore.__init__

    def semaphore_init(self, *args, **kwargs):
        original_semaphore_init(self, *args, **kwargs)
        if _inner.depth == 0 and type(self) is s.Semaphore and _ours(self._semlock):
            self._semlock._forkscope_show(O["Semaphore"], _name_from_source())
    s.Semaphore.__init__ = semaphore_init

    # Event: a flag over a Condition and a Semaphore, all parts of it.
    original_event_init = s.Event.__init__

    def event_init(self, *, ctx):
        name = _name_from_source()
        _inner.depth += 1
        try:
            original_event_init(self, ctx=ctx)
        finally:
            _inner.depth -= 1
        if _inner.depth == 0:
            self._forkscope = (_native.new_object(O["Event"], name, 0),)
    s.Event.__init__ = event_init
    _wrap(s.Event, "set", _operation(E["EventSet"], _traced("_forkscope")))
    _wrap(s.Event, "clear", _operation(E["EventClear"], _traced("_forkscope")))
    _wrap(s.Event, "wait", _operation(E["EventWait"], _traced("_forkscope"), lambda self, r: (int(bool(r)), 0)))

    # Condition: the program's lock (a new RLock of its own when none is given) and its inner semaphores.
    original_condition_init = s.Condition.__init__

    def condition_init(self, lock=None, *, ctx):
        name = _name_from_source()
        if lock is None and _inner.depth == 0:
            lock = ctx.RLock()
            if _ours(lock._semlock):
                lock._semlock._forkscope_show(O["RLock"], f"{name}.lock" if name else "")
        _inner.depth += 1
        try:
            original_condition_init(self, lock, ctx=ctx)
        finally:
            _inner.depth -= 1
        if _inner.depth == 0:
            self._forkscope = (_native.new_object(O["Condition"], name, 0),)
    s.Condition.__init__ = condition_init
    _wrap(s.Condition, "wait", _operation(E["ConditionWait"], _traced("_forkscope"), lambda self, r: (int(bool(r)), 0)))
    _wrap(s.Condition, "notify", _operation(E["ConditionNotify"], _traced("_forkscope")))
    _wrap(s.Condition, "notify_all", _operation(E["ConditionNotify"], _traced("_forkscope")))
    _inner_init(s.Barrier)


# ---- queues ---------------------------------------------------------------------------------------------------

def _install_queues():
    from multiprocessing import queues as q

    def make_queue_init(kind):
        def make(original):
            def __init__(self, *args, **kwargs):
                name = _name_from_source() if type(self).__init__ is not None else ""
                _inner.depth += 1
                try:
                    original(self, *args, **kwargs)
                finally:
                    _inner.depth -= 1
                if _inner.depth == 0 and "_forkscope" not in self.__dict__:
                    maxsize = getattr(self, "_maxsize", 0)
                    if maxsize >= _SEM_VALUE_MAX:  # CPython's stand-in for "no maxsize": the timeline says unbounded
                        maxsize = 0
                    self._forkscope = (_native.new_object(O[kind], name, maxsize), _native.new_counter(),
                                       _native.new_counter())
                    if hasattr(self, "_buffer"):  # a feeder thread writes its items: count what reached the pipe
                        flushed = _native.new_counter()
                        self._forkscope += (flushed,)
                        self._writer._forkscope_flushed = flushed
            return __init__
        return make

    _wrap(q.Queue, "__init__", make_queue_init("Queue"))
    _wrap(q.JoinableQueue, "__init__", make_queue_init("JoinableQueue"))
    _wrap(q.SimpleQueue, "__init__", make_queue_init("Queue"))
    for cls in (q.Queue, q.SimpleQueue):
        _wrap(cls, "put", _counted(E["QueuePut"], 1))
        _wrap(cls, "get", _counted(E["QueueGet"], 2))
    _wrap(q.JoinableQueue, "task_done", _operation(
        E["QueueTaskDone"], _traced("_forkscope"), lambda self, r: (self._unfinished_tasks._semlock._get_value(), 0)))
    _wrap(q.JoinableQueue, "join", _operation(E["QueueJoin"], _traced("_forkscope")))

    # No __getstate__/__setstate__ of ours: a queue is pickled only to a spawned or forkserver child, a fresh CPython
    # that is not attached to the run and must read CPython's own state.


# ---- pipes and connections ------------------------------------------------------------------------------------

def _install_connections():
    from multiprocessing import connection as c
    original_pipe = c.Pipe

    def Pipe(duplex=True):
        ends = original_pipe(duplex)
        if _inner.depth == 0:
            names = _name_from_source().split(",")
            first, second = (names + ["", ""])[:2] if len(names) == 2 else ("", "")
            def direction(sender, receiver):
                label = f"{sender}->{receiver}" if sender and receiver else ""
                return (_native.new_object(O["Pipe"], label, 0), _native.new_counter(), _native.new_counter())
            a, b = ends
            if duplex:
                ab, ba = direction(first, second), direction(second, first)
                a._forkscope = {"send": ab, "recv": ba}
                b._forkscope = {"send": ba, "recv": ab}
            else:  # (reader, writer)
                wr = direction(second, first)
                a._forkscope = {"recv": wr}
                b._forkscope = {"send": wr}
        return ends
    c.Pipe = Pipe
    import multiprocessing.context as ctx
    ctx.BaseContext.Pipe.__globals__  # the context imports Pipe from .connection when called
    base = c._ConnectionBase

    def end(direction):
        def of(self):
            info = self.__dict__.get("_forkscope")
            if info is None or direction not in info:
                return None
            return (info[direction][0], info[direction][0], 0)
        return of

    def sent(self, result):
        return (0, _native.counter_add(self._forkscope["send"][1], 1))

    def received(self, result):
        return (len(result) if isinstance(result, bytes) else 0, _native.counter_add(self._forkscope["recv"][2], 1))

    def program_pipes_only(make):
        # A queue's or a pool's pipe (no _forkscope) calls the original from C, once per message, without the Python
        # wrapper: that wrapper's frame cost more than a message's tracing.
        return lambda original: _native.traced_only(original, make(original))

    for name in ("send", "send_bytes"):
        _wrap(base, name, program_pipes_only(_operation(E["PipeSend"], end("send"), sent)))
    for name in ("recv", "recv_bytes", "recv_bytes_into"):
        _wrap(base, name, program_pipes_only(_operation(E["PipeRecv"], end("recv"), received)))
    _wrap(base, "poll", program_pipes_only(_operation(E["PipePoll"], end("recv"), lambda self, r: (int(bool(r)), 0))))

    # Every read of every connection (a queue's, a pool's, a manager's too) waits here: as its operation, blocked.
    # A queue's writer counts what its feeder thread has put into the pipe (a stepped put waits for its item).
    c.Connection._send_bytes = _native.counts_flushes(c.Connection._send_bytes)
    # In C, since it runs once per message: the same as `_native.wait_readable(self._handle)` before the read.
    c.Connection._recv_bytes = _native.reads_after_wait(c.Connection._recv_bytes)

    def _poll(self, timeout):
        return _native.wait_readable(self._handle, timeout)
    c.Connection._poll = _poll


# ---- processes ------------------------------------------------------------------------------------------------

def _install_processes():
    from multiprocessing import popen_fork, process

    original_start = process.BaseProcess.start

    def start(self):
        _native.gate(E["ProcessStart"], 0)  # p.start() is a step; the child's name and pid come with its fork
        return original_start(self)
    process.BaseProcess.start = start

    original_launch = popen_fork.Popen._launch

    def _launch(self, process_obj):
        daemon = bool(process_obj.daemon)
        slot = _native.prepare_child(process_obj.name, daemon)
        try:
            original_launch(self, process_obj)
        except BaseException:
            _native.child_failed(slot)
            raise
        process_obj._forkscope_slot = slot
        _native.child_started(self.pid, slot, daemon)
    popen_fork.Popen._launch = _launch

    original_poll = popen_fork.Popen.poll

    def poll(self, flag=os.WNOHANG):
        was = self.returncode
        result = original_poll(self, flag)
        if was is None and result is not None:
            _native.emit(E["ProcessReaped"], 0, 0, result, self.pid)
        return result
    popen_fork.Popen.poll = poll

    original_bootstrap = process.BaseProcess._bootstrap

    def _bootstrap(self, parent_sentinel=None):
        code = original_bootstrap(self, parent_sentinel)
        _streams.end_partial_lines()
        _native.process_end(code)
        return code
    process.BaseProcess._bootstrap = _bootstrap

    def joined(self):
        slot = self.__dict__.get("_forkscope_slot")
        if slot is None or self._popen is None:
            return None
        return (0, _native.join_key(slot), self._popen.pid)

    def will_wait(self, timeout=None):
        if self._popen.returncode is not None or (timeout is not None and timeout <= 0):
            return None
        return timeout is not None

    def join_done(self, result):
        code = self._popen.returncode
        return (code if code is not None else 0, self._popen.pid)

    original_join = process.BaseProcess.join

    def scaled_join(self, timeout=None):
        return original_join(self, None if timeout is None else timeout / _native.speed())
    scaled_join.__name__ = "join"
    process.BaseProcess.join = scaled_join
    _wrap(process.BaseProcess, "join", _operation(E["ProcessJoin"], joined, join_done, will_wait))

    def signal(original, number):
        def send(self):
            popen = self._popen
            if popen is None or self.__dict__.get("_forkscope_slot") is None:
                return original(self)
            _native.gate(E["ProcessSignal"], 0)
            original(self)
            _native.emit(E["ProcessSignal"], 0, 0, number, popen.pid)
        return send
    import signal as signals
    process.BaseProcess.terminate = signal(process.BaseProcess.terminate, signals.SIGTERM)
    process.BaseProcess.kill = signal(process.BaseProcess.kill, signals.SIGKILL)


# ---- start methods --------------------------------------------------------------------------------------------
# spawn and forkserver are left as CPython has them: their children are fresh interpreters, not attached to the run
# (not on the timeline), and the semaphores they share by name stay CPython's (see _semlock_of_context). They used
# to be refused by patching DefaultContext, but multiprocessing.get_context and set_start_method are methods bound at
# import, so the refusal never applied; and CPython's own tests (TestResourceTracker) need a spawn context.


# ---- pools and managers ---------------------------------------------------------------------------------------

class _Numbered:
    """A pool task's function with its number on the pool's tasks queue (the worker unwraps it): the arrow from the
    submission to the worker that ran it, and from its result to where the result arrived."""
    __slots__ = ("func", "seq", "tasks", "results", "results_counter")

    def __init__(self, func, seq, tasks, results, results_counter):
        self.func, self.seq, self.tasks, self.results, self.results_counter = func, seq, tasks, results, results_counter

    def __reduce__(self):
        return (_Numbered, (self.func, self.seq, self.tasks, self.results, self.results_counter))


class _NumberedResult(tuple):
    """A task's (success, value) with its number on the pool's results queue; unpacks as the tuple it is."""

    def __reduce__(self):
        return (_NumberedResult._make, (tuple(self), self.seq))

    @staticmethod
    def _make(items, seq):
        result = _NumberedResult(items)
        result.seq = seq
        return result


def _install_pools():
    """A pool the program makes is an object, with its tasks and results queues: put->get arrows run from the
    submission (the task-handler thread of the main process) to the worker that took the task, and from the worker
    to the result-handler thread, where callbacks run (spans). Which worker takes the next task is a step.
    AsyncResult.get() waits on the pool."""
    from multiprocessing import pool

    original_pool_init = pool.Pool.__init__
    original_setup_queues = pool.Pool._setup_queues

    def pool_init(self, *args, **kwargs):
        if _inner.depth == 0:
            name = _name_from_source() or "pool"
            self._forkscope = (_native.new_object(O["Pool"], name, 0),
                               _native.new_object(O["Queue"], f"{name} tasks", 0), _native.new_counter(),
                               _native.new_object(O["Queue"], f"{name} results", 0), _native.new_counter())
        _inner.depth += 1
        try:
            original_pool_init(self, *args, **kwargs)
        finally:
            _inner.depth -= 1
    pool.Pool.__init__ = pool_init

    def _setup_queues(self):
        original_setup_queues(self)
        info = self.__dict__.get("_forkscope")
        if info is None:
            return
        _, tasks, tasks_counter, results, results_counter = info
        self._inqueue._forkscope_pool = info[0]
        send_task, receive_result = self._quick_put, self._quick_get

        def put_task(task):  # on the task-handler thread
            if task is not None:
                job, i, func, args, kwds = task
                seq = _native.counter_add(tasks_counter, 1)
                _native.emit(E["QueuePut"], 0, tasks, 0, seq)
                task = (job, i, _Numbered(func, seq, tasks, results, results_counter), args, kwds)
            send_task(task)

        def get_result():  # on the result-handler thread
            task = receive_result()
            if task is not None and len(task) == 3 and isinstance(task[2], _NumberedResult):
                _native.emit(E["QueueGet"], 0, results, 0, task[2].seq)
            return task
        self._quick_put, self._quick_get = put_task, get_result
    pool.Pool._setup_queues = _setup_queues

    def label(func, args):
        shown = ", ".join(repr(a) for a in args)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{getattr(func, '__name__', 'task')}({shown})"

    def traced_call(func, args, kwargs, pool_object):
        _native.emit_text(E["TaskBegin"], 0, pool_object, 0, label(func, args))
        try:
            result = func(*args, **kwargs)
        except BaseException:
            _native.emit(E["TaskEnd"], 0, pool_object, 1, 0)
            raise
        _native.emit(E["TaskEnd"], 0, pool_object, 0, 0)
        return result

    def traced_task(func, pool_object):
        if func is pool.mapstar:
            return lambda args: [traced_call(args[0], (x,), {}, pool_object) for x in args[1]]
        if func is pool.starmapstar:
            return lambda args: [traced_call(args[0], tuple(x), {}, pool_object) for x in args[1]]
        return lambda *a, **k: traced_call(func, a, k, pool_object)

    class TracedQueues:
        """The worker's view of its task and result queues."""

        def __init__(self, inqueue, outqueue):
            self._inqueue, self._outqueue = inqueue, outqueue
            self._numbered = None  # the task being run

        def get(self):
            pool_object = self._inqueue.__dict__.get("_forkscope_pool", 0)
            # Which worker takes the next task is a step: a schedule replays the same worker taking the same task.
            _native.gate(E["QueueGet"], pool_object)
            task = self._inqueue.get()
            if task is None:
                return task
            job, i, func, args, kwds = task
            if isinstance(func, _Numbered):
                self._numbered = func
                _native.emit(E["QueueGet"], 0, func.tasks, 0, func.seq)
                func = func.func
            return job, i, traced_task(func, pool_object), args, kwds

        def put(self, item):
            numbered, self._numbered = self._numbered, None
            if numbered is not None and item is not None and len(item) == 3:
                job, i, result = item
                seq = _native.counter_add(numbered.results_counter, 1)
                _native.emit(E["QueuePut"], 0, numbered.results, 0, seq)
                item = (job, i, _NumberedResult._make(result, seq))
            self._outqueue.put(item)

    class Inqueue:
        def __init__(self, queues, inqueue):
            self._queues, self._queue = queues, inqueue

        def __getattr__(self, name):
            return getattr(self._queue, name)

        def get(self):
            return self._queues.get()

    class Outqueue:
        def __init__(self, queues, outqueue):
            self._queues, self._queue = queues, outqueue

        def __getattr__(self, name):
            return getattr(self._queue, name)

        def put(self, item):
            self._queues.put(item)

    original_worker = pool.worker

    def worker(inqueue, outqueue, *args, **kwargs):
        queues = TracedQueues(inqueue, outqueue)
        return original_worker(Inqueue(queues, inqueue), Outqueue(queues, outqueue), *args, **kwargs)
    pool.worker = worker

    def of(result):
        info = result._pool.__dict__.get("_forkscope") if result._pool is not None else None
        return None if info is None else (info[0], 0, 0)

    def will_wait(self, timeout=None):
        return None if self.ready() else timeout is not None
    _wrap(pool.ApplyResult, "get", _operation(E["ResultGet"], of, lambda self, result: (0, 0), will_wait))

    def traced_callback(callback, what, pool_object):
        def run(value):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            _native.emit_text(E["TaskBegin"], 0, pool_object, 0,
                              f"{what} {getattr(callback, '__name__', 'callback')}({shown})")
            try:
                callback(value)
            except BaseException:
                _native.emit(E["TaskEnd"], 0, pool_object, 1, 0)
                raise
            _native.emit(E["TaskEnd"], 0, pool_object, 0, 0)
        return run

    original_result_init = pool.ApplyResult.__init__

    def result_init(self, pool_, callback, error_callback):
        info = pool_.__dict__.get("_forkscope")
        if info is not None:
            if callback is not None:
                callback = traced_callback(callback, "callback", info[0])
            if error_callback is not None:
                error_callback = traced_callback(error_callback, "error_callback", info[0])
        original_result_init(self, pool_, callback, error_callback)
    pool.ApplyResult.__init__ = result_init


def _install_sockets():
    """accept, recv and send that must wait, and connect, show as the process blocked on a socket."""
    import socket

    def waiting(op, for_writing):
        def make(original):
            def method(self, *args, **kwargs):
                timeout = self.gettimeout()
                if timeout != 0.0:
                    _native.socket_wait(self.fileno(), op, for_writing, timeout)
                return original(self, *args, **kwargs)
            method.__name__ = original.__name__
            method.__doc__ = original.__doc__
            return method
        return make
    for name, op, for_writing in (("accept", 0, False), ("recv", 1, False), ("recv_into", 1, False),
                                  ("recvfrom", 1, False), ("send", 3, True), ("sendall", 3, True)):
        _wrap(socket.socket, name, waiting(op, for_writing))

    def connecting(original):  # whether connect() waits cannot be asked beforehand: it shows as a wait of its own
        def connect(self, address):
            if self.gettimeout() == 0.0 or _native.op_depth() > 0:
                return original(self, address)
            _native.emit(E["SocketWait"], 1, 0, 2, 0)
            try:
                return original(self, address)
            finally:
                _native.emit(E["SocketWait"], 0, 0, 0, 0)
        connect.__doc__ = original.__doc__
        return connect
    _wrap(socket.socket, "connect", connecting)


def _install_managers():
    from multiprocessing import managers

    _inner_init(managers.BaseManager)
    original_callmethod = managers.BaseProxy._callmethod

    def _callmethod(self, methodname, args=(), kwds={}):
        if _native.op_depth() > 0 or methodname.startswith("#"):
            return original_callmethod(self, methodname, args, kwds)
        shown = ", ".join(repr(a) for a in args)
        label = f"{self._token.typeid}.{methodname}({shown[:60]})"
        _native.gate(E["ManagerCall"], 0)
        _native.emit_text(E["ManagerCall"], 1, 0, 0, label)
        try:
            result = original_callmethod(self, methodname, args, kwds)
        except BaseException:
            _native.emit(E["ManagerCall"], 2, 0, 0, 0)
            raise
        _native.emit(E["ManagerCall"], 0, 0, 0, 0)
        return result
    managers.BaseProxy._callmethod = _callmethod


def _hide_our_frames():
    """Tracebacks show the program's frames and the library's, as without Forkscope: not our wrappers'."""
    import traceback
    original = traceback.StackSummary._extract_from_extended_frame_gen.__func__

    def extract(cls, frame_gen, **kwargs):
        ours = ((f, pos) for f, pos in frame_gen if not f.f_code.co_filename.startswith(_OURS))
        return original(cls, ours, **kwargs)
    traceback.StackSummary._extract_from_extended_frame_gen = classmethod(extract)


def install(program):
    _hide_our_frames()
    time.sleep = _native.time_sleep  # a builtin of the time module, as the one it replaces
    _install_synchronize()
    _install_queues()
    _install_connections()
    _install_processes()
    _install_pools()
    _install_sockets()
    _install_managers()
