"""One ``/solve`` in a child process that is ended at the request's deadline.

Building coefficients and the Pyomo model, and handing it to HiGHS, do not look at a
clock: a large instance could run (and grow in memory) long past its deadline in the
server's own process. Here the whole of it (coefficients, build, HiGHS, the check,
marginal values) runs in a child process; the server waits for its answer until the
deadline plus a short grace, then kills the child (SIGKILL) and answers 503 naming the
stage it was in. A client that hangs up, or a server that stops, kills the child too.

Children are forked from a ``forkserver`` that has already imported the planner (Pyomo,
HiGHS, pandas), so a solve starts in milliseconds rather than the seconds an import
takes; :func:`warm_up` starts that server (the service calls it at start-up). The child
runs exactly the code of an in-process solve with the same inputs: same answer.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pandas as pd

from optimizer.instance.schema import Instance
from optimizer.solver.options import SolveOptions

LOG = logging.getLogger("optimizer.service")

# Modules the fork server imports once, so that each child starts with them loaded.
_PRELOAD = ["optimizer.service.worker", "optimizer.planning.planner", "optimizer.verify"]
_CTX: Any = None
_CTX_LOCK = threading.Lock()


def _context() -> Any:
    global _CTX
    with _CTX_LOCK:
        if _CTX is None:
            ctx: Any
            try:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(_PRELOAD)
            except ValueError:  # no fork server on this platform: each child imports afresh
                ctx = multiprocessing.get_context("spawn")
            _CTX = ctx
        return _CTX


@dataclass
class Outcome:
    """What a child sent back: ``kind`` is ``done`` (``value`` the plan's dict), ``input``
    (``value`` the problems), ``check`` (the checker's message), ``memory`` or ``crash``."""

    kind: str
    value: Any


class Stopped(Exception):
    """The child was killed: ``reason`` is ``deadline`` or ``cancelled``; ``stage`` where it was."""

    def __init__(self, reason: str, stage: str) -> None:
        super().__init__(f"{reason} during {stage}")
        self.reason = reason
        self.stage = stage


def warm_up() -> float:
    """Start the fork server (imports the planner once); returns the seconds it took."""
    t0 = time.monotonic()
    ctx = _context()
    child = ctx.Process(target=_noop, daemon=True)
    child.start()
    child.join(120)
    return time.monotonic() - t0


def _noop() -> None:
    return None


def solve_in_child(
    instance: Instance,
    table: pd.DataFrame,
    options: SolveOptions,
    deadline: float,
    grace_s: float,
    cancelled: Callable[[], bool],
    poll_s: float = 0.1,
) -> Outcome:
    """Run :class:`~optimizer.planning.planner.Planner` in a child process, bounded in time.

    The child solves against ``deadline`` (a ``time.monotonic()`` instant: the clock is
    system-wide, the same in both processes), so HiGHS and the post-solve steps stop on
    their own in time as in an in-process solve. The parent kills the child if it has not
    answered by ``deadline + grace_s`` (the stages that do not watch the clock) or as
    soon as ``cancelled()`` is true, raising :class:`Stopped`.
    """
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child,
        args=(sender, instance, table, options, deadline, os.getpid()),
        daemon=True,
    )
    child.start()
    sender.close()  # the parent's copy: the pipe reports EOF when the child dies
    stage = "start-up"
    try:
        while True:
            if receiver.poll(poll_s):
                try:
                    message = receiver.recv()
                except EOFError:  # died without a word (killed by the OS, e.g. memory)
                    child.join(5)
                    if cancelled():
                        raise Stopped("cancelled", stage) from None
                    return Outcome("crash", f"the solver process ended ({child.exitcode})")
                if message[0] == "stage":
                    stage = message[1]
                    continue
                return Outcome(message[0], message[1])
            if cancelled():
                raise Stopped("cancelled", stage)
            if time.monotonic() >= deadline + grace_s:
                raise Stopped("deadline", stage)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(10)


def _child(
    conn: Connection,
    instance: Instance,
    table: pd.DataFrame,
    options: SolveOptions,
    deadline: float,
    server_pid: int,
) -> None:
    from optimizer.errors import InputError
    from optimizer.planning.planner import Planner
    from optimizer.verify import VerificationError

    # The server decides when a child stops (it kills it): a Ctrl-C or a SIGTERM sent to
    # the whole process group must not end it half-way with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_server(server_pid)
    try:
        conn.send(("stage", "coefficients and build"))
        planner = Planner(instance, options, table=table)
        conn.send(("stage", "solve"))
        plan = planner.solve(deadline=deadline)
        conn.send(("stage", "answer"))
        conn.send(("done", plan.to_dict()))
    except InputError as exc:
        conn.send(("input", list(exc.problems)))
    except VerificationError as exc:
        conn.send(("check", str(exc)))
    except MemoryError:
        conn.send(("memory", "out of memory"))
    except Exception:
        conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


def _die_with_server(server_pid: int, every_s: float = 0.5) -> None:
    """End this child soon after the server that asked for it is gone.

    The server kills its children itself, but if it is killed outright (SIGKILL, out of
    memory) nobody does: a child building a large model would run on, and keep the fork
    server alive with it (each child holds the server's end of the fork server's pipe).
    A daemon thread checks every ``every_s`` that the server still exists.
    """

    def watch() -> None:
        while True:
            time.sleep(every_s)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # exists, owned by someone else (pid reused): gone
                os._exit(1)

    threading.Thread(target=watch, name="server-watch", daemon=True).start()
