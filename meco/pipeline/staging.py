"""Where a task writes its shards: in place on a local output, in a local folder first for a remote one.

Writing straight to object storage keeps a multipart upload open per file (16 per task, each buffering up to
a block in memory) for the task's whole life, and one network error ends the task. So for a remote output a
task writes its shards into a fresh folder under the work dir (`--work-dir`, default the system's temporary
folder), renames them there as usual, and uploads each file whole once the task is done, `.ds` last. On
object stores (S3, GCS, Azure) an object appears only when its upload completes, so the upload goes to the
final name; other remote filesystems get a partial name and a rename, as every final file does.

A task's folder, `meco-task00003-<host>-<pid>-<random>`, is private to its user as any temporary folder and
removed when the task ends, also by an error. SIGKILL leaves it behind, so each task first removes the
folders in its work dir that belong to this user and host and whose process is gone: a rerun on that machine
clears what a killed run left, and the folders of live tasks (of any run, on any host sharing the work dir)
stay.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile

from datatrove.io import DataFolder, get_datafolder
from datatrove.utils.logging import logger

from ..shards import PARTIAL_SUFFIX
from .lock import alive

WHOLE_OBJECT_PROTOCOLS = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"}
UPLOAD_ORDER = (".index", ".loss", ".metadata", "")  # the .ds last: readers look for it
STAGING_FOLDER = re.compile(r"meco-task\d{5}-(?P<host>.+)-(?P<pid>\d+)-[a-z0-9_]+")  # mkdtemp's suffix has no "-"


class ShardStaging:
    """The folder a task's shard writers write into, and the upload of what they committed."""

    def __init__(self, out: DataFolder, rank: int, work_dir: str | None = None):
        self.out = out
        self.local = None
        if not out.is_local():
            work_dir = work_dir or tempfile.gettempdir()
            remove_orphans(work_dir)
            prefix = f"meco-task{rank:05d}-{socket.gethostname()}-{os.getpid()}-"
            self.local = tempfile.TemporaryDirectory(prefix=prefix, dir=work_dir)
            logger.info(f"task {rank}: writing shards in {self.local.name}, uploaded when the task is done")

    def folder(self, subfolder: str) -> DataFolder:
        """Where the shards of OUT/`subfolder` are written."""
        root = self.out.resolve_paths(subfolder) if self.local is None else os.path.join(self.local.name, subfolder)
        return get_datafolder(root)

    def publish(self, subfolder: str, shard: str) -> None:
        """Upload the committed shard `subfolder/shard` (its four files) to the output; nothing where local."""
        if self.local is None:
            return
        for suffix in UPLOAD_ORDER:
            name = f"{subfolder}/{shard}{suffix}"
            upload(os.path.join(self.local.name, name), self.out, name)

    def close(self) -> None:
        if self.local is not None:
            self.local.cleanup()


def remove_orphans(work_dir: str) -> None:
    """Remove the staging folders of this user's meco tasks on this host whose process is gone."""
    host, uid = socket.gethostname(), os.getuid()
    for entry in os.scandir(work_dir):
        found = STAGING_FOLDER.fullmatch(entry.name)
        if not found or found["host"] != host or not entry.is_dir(follow_symlinks=False):
            continue
        if entry.stat(follow_symlinks=False).st_uid == uid and not alive(int(found["pid"])):
            logger.warning(f"removing {entry.path}, left by a killed meco task")
            shutil.rmtree(entry.path, ignore_errors=True)  # another task may be removing it too


def upload(local_path: str, out: DataFolder, name: str) -> None:
    """One whole file to OUT/`name`, never visible there half-written."""
    protocols = out.fs.protocol if isinstance(out.fs.protocol, tuple) else (out.fs.protocol,)
    if WHOLE_OBJECT_PROTOCOLS & set(protocols):
        out.put_file(local_path, name)
        return
    out.makedirs(os.path.dirname(name), exist_ok=True)
    out.put_file(local_path, name + PARTIAL_SUFFIX)
    out.mv(name + PARTIAL_SUFFIX, name)
