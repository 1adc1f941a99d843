"""Reading a file a user named, with a size cap, whatever the path turns out to be.

One reader for every input file (instances, frontier CSVs, scenario CSVs), so that each
ends the same way on hostile paths, in one line naming the file (an
:class:`~optimizer.errors.InputError`):

- a device or an endless file (``/dev/zero``, a symlink to it, a file still growing) is
  read up to the cap, then refused: memory stays bounded by the cap;
- a named pipe (FIFO) is opened without waiting for a writer: with no writer attached it
  is refused at once instead of blocking forever (``<(cat file)`` still works: the shell
  attaches the writer before the command starts);
- a folder, a missing file, a file that cannot be read: one line each.

The caps are listed in README.md ("Limits") and docs/format.md.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from optimizer.errors import InputError

MB = 1024 * 1024
# The largest scenario CSV read (``stochastic --scenarios``, ``sweep --scenarios``), as for
# an instance: the shipped one is 3 KB; 10,000 scenarios of 20 keys are ~2 MB.
MAX_SCENARIO_BYTES = 16 * MB


def read_capped(
    path: str | Path, limit: int, what: str = "a file", too_big: str | None = None
) -> bytes:
    """At most ``limit`` bytes of ``path``; more is an error, as is a FIFO nobody writes to.

    ``what`` names the kind of file in messages ("an instance", "a scenario CSV");
    ``too_big`` replaces "not <what>" after "larger than N MB; ".
    """
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not {what}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{name}: is a folder, not {what}")
        pipe = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
        if hasattr(os, "set_blocking"):
            # Reads block again: a pipe with a writer is read to its end; a FIFO with no
            # writer reads as end-of-file at once (it no longer blocks in open()).
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            try:
                data = fh.read(limit + 1)
            except OSError as exc:
                raise InputError(
                    f"{name}: cannot read ({exc.strerror or type(exc).__name__})"
                ) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise InputError(f"{name}: larger than {limit // MB} MB; {too_big or 'not ' + what}")
    if pipe and not data:
        raise InputError(f"{name}: a named pipe with nothing written to it (no writer); not {what}")
    return data
