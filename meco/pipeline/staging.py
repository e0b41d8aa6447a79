"""Where a task writes its shards: in place on a local output, in a local folder first for a remote one.

Writing straight to object storage keeps a multipart upload open per file (16 per task, each buffering up to
a block in memory) for the task's whole life, and one network error ends the task. So for a remote output a
task writes its shards into a fresh folder under the work dir (`--work-dir`, default the system's temporary
folder), renames them there as usual, and uploads each file whole once the task is done, `.ds` last. On
object stores (S3, GCS, Azure) an object appears only when its upload completes, so the upload goes to the
final name; other remote filesystems get a partial name and a rename, as every final file does.

The folder is named after the output and the task (`meco-task00003-<hash of the output>`): a task killed by
SIGKILL cannot remove it, and the rerun of that task, which only one run of the output makes at a time (under
the output's lock), removes what it left before starting afresh.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref

from datatrove.io import DataFolder, get_datafolder
from datatrove.utils.logging import logger

from ..shards import PARTIAL_SUFFIX

WHOLE_OBJECT_PROTOCOLS = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"}
UPLOAD_ORDER = (".index", ".loss", ".metadata", "")  # the .ds last: readers look for it


class ShardStaging:
    """The folder a task's shard writers write into, and the upload of what they committed."""

    def __init__(self, out: DataFolder, rank: int, work_dir: str | None = None):
        self.out, self.local = out, None
        if not out.is_local():
            self.local = staging_folder(work_dir or tempfile.gettempdir(), out.resolve_paths(""), rank)
            if os.path.exists(self.local):
                logger.warning(f"task {rank}: removing {self.local}, left by a killed run of this task")
                shutil.rmtree(self.local)
            os.makedirs(self.local)
            # removed when the task ends, also by an error (as a TemporaryDirectory is); not by SIGKILL
            self._remove = weakref.finalize(self, shutil.rmtree, self.local, ignore_errors=True)
            logger.info(f"task {rank}: writing shards in {self.local}, uploaded when the task is done")

    def folder(self, subfolder: str) -> DataFolder:
        """Where the shards of OUT/`subfolder` are written."""
        root = self.out.resolve_paths(subfolder) if self.local is None else os.path.join(self.local, subfolder)
        return get_datafolder(root)

    def publish(self, subfolder: str, shard: str) -> None:
        """Upload the committed shard `subfolder/shard` (its four files) to the output; nothing where local."""
        if self.local is None:
            return
        for suffix in UPLOAD_ORDER:
            name = f"{subfolder}/{shard}{suffix}"
            upload(os.path.join(self.local, name), self.out, name)

    def close(self) -> None:
        if self.local is not None:
            self._remove()


def staging_folder(work_dir: str, output: str, rank: int) -> str:
    """The local folder of task `rank` of the run writing `output`: the same for every run of that output."""
    digest = hashlib.blake2b(output.encode(), digest_size=6).hexdigest()
    return os.path.join(work_dir, f"meco-task{rank:05d}-{digest}")


def upload(local_path: str, out: DataFolder, name: str) -> None:
    """One whole file to OUT/`name`, never visible there half-written."""
    protocols = out.fs.protocol if isinstance(out.fs.protocol, tuple) else (out.fs.protocol,)
    if WHOLE_OBJECT_PROTOCOLS & set(protocols):
        out.put_file(local_path, name)
        return
    out.makedirs(os.path.dirname(name), exist_ok=True)
    out.put_file(local_path, name + PARTIAL_SUFFIX)
    out.mv(name + PARTIAL_SUFFIX, name)
