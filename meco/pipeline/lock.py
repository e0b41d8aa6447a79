"""One `meco prepare` at a time per output folder.

Two runs on one output would write the same `*.partial` names and rename each other's files. `OUT/prepare.lock`
names the run that holds the folder (pid, host, start, command); a second run is refused with that name. A
lock whose process is gone from this host (killed, say) is taken over with a warning, so a rerun after a
crash needs no cleanup. On another host liveness cannot be checked: the message says which lock to delete.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from contextlib import contextmanager

from datatrove.io import get_datafolder
from datatrove.utils.logging import logger

from ..errors import MecoError
from ..shards import PARTIAL_SUFFIX

LOCK = "prepare.lock"


class OutputLocked(MecoError, RuntimeError):
    """Another `meco prepare` holds the output folder."""


@contextmanager
def output_lock(output: str):
    """Hold OUT/prepare.lock for the duration; released on the way out, also on errors."""
    out = get_datafolder(output)
    mine = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(sys.argv),
    }
    _acquire(out, output, mine)
    try:
        yield
    finally:
        if _holder(out) == mine:
            out.rm(LOCK)


def _acquire(out, output: str, mine: dict) -> None:
    for _ in range(2):
        if _create(out, json.dumps(mine)):
            return
        holder = _holder(out)
        if holder is None:  # released between our attempt and our look
            continue
        if holder.get("host") == mine["host"] and not alive(holder.get("pid")):
            logger.warning(f"{output}: taking over the lock of process {holder.get('pid')}, which is gone")
            out.rm(LOCK)
            continue
        break
    raise OutputLocked(
        f"{output} is in use by another `meco prepare` (pid {holder.get('pid')} on {holder.get('host')}, "
        f"since {holder.get('started')}); wait for it to finish, or delete {out.resolve_paths(LOCK)} if that "
        "process is gone"
    )


def _create(out, text: str) -> bool:
    """Create the lock unless it exists. Locally atomic and never half-written (a complete file linked into
    place); object stores have no exclusive create, so two runs starting at the same moment may both pass."""
    if not out.is_local():
        if out.exists(LOCK):
            return False
        with out.open(LOCK, "wt") as f:
            f.write(text)
        return True
    path = out.resolve_paths(LOCK)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    draft = f"{path}.{os.getpid()}{PARTIAL_SUFFIX}"
    with open(draft, "w") as f:
        f.write(text)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(draft)
    return True


def _holder(out) -> dict | None:
    """The lock's contents; None when there is no lock."""
    try:
        with out.open(LOCK, "rt") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except ValueError:  # not ours to judge: report it as held by an unknown process
        return {"pid": "?", "host": "?", "started": "?"}


def alive(pid) -> bool:
    """Whether process `pid` of this host still runs (a pid that is not a number counts as alive: unknown)."""
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
