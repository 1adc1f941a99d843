"""Worker processes that never outlive their driver, and a pool stopped at once.

Used by the sweep's process pool (:mod:`optimizer.sweep.run`) and the two-stage solver's
re-plan process (:mod:`optimizer.stochastic.engine`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# How often a worker checks that its driver is still alive (seconds).
PARENT_POLL_S = 0.5


def die_with_parent(parent: int) -> None:
    """End this worker when the driver ``parent`` dies, even by kill -9 (which runs no
    clean-up in the driver): a pool's pipes stay open in the workers themselves, so they
    would otherwise wait for work forever, and keep the resource tracker alive with them.

    On Linux the kernel sends SIGKILL when the parent exits (``PR_SET_PDEATHSIG``, set
    here; pools start their workers from the driver's main thread, which lives as long
    as the driver); everywhere, a daemon thread polls ``os.getppid()`` every
    :data:`PARENT_POLL_S` seconds (between two solves if a solve holds the GIL).
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="watch-driver", daemon=True).start()


def worker_start(parent: int) -> None:
    """Pool worker start-up (``initializer=worker_start, initargs=(os.getpid(),)``):
    Ctrl-C is the driver's to handle (it stops the workers itself), and the worker ends
    with the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End the pool's processes now (their running tasks are dropped, not waited for)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.join(timeout=5)
        if proc.is_alive():
            # Still starting up (a spawned interpreter importing under load) or stuck:
            # SIGTERM was not enough, so it is killed rather than left running.
            proc.kill()
            proc.join(timeout=5)
