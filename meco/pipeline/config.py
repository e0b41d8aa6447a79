"""Every `meco prepare` setting in one dataclass; the command line takes its defaults from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..tokenizer import DEFAULT_TOKENIZER

# The shipped samples, relative to the working directory: the README's first command runs in the checkout,
# and an installed package has no business reading files of the folder it was installed from.
DEFAULT_INPUT = "data_samples"

TRANSIENT = ("output", "workers", "batch_size", "work_dir", "tokenizer_cache_mib")  # where and how fast, not what


@dataclass
class PrepareConfig:
    """Every `meco prepare` option; field docs are in `meco prepare --help`."""

    inputs: list[str] = field(default_factory=lambda: [DEFAULT_INPUT])
    output: str = "meco-data"
    source: str = "auto"
    text_key: str | None = None
    url_key: str | None = None
    metadata: list[str] = field(default_factory=lambda: ["host"])
    template: str | None = None
    position: str = "prefix"  # metadata before the document (masked) or after it (trained)
    bucket: dict[str, int] = field(default_factory=dict)  # field NAME -> K buckets of a score in [0, 1]
    date: dict[str, str] = field(default_factory=dict)  # field NAME -> year | month
    hash_salt: str = ""
    topic_model: str | None = None
    topic_threshold: float = 0.0
    topic_labels: str | None = None
    tokenizer: str = DEFAULT_TOKENIZER
    tasks: int | None = None
    workers: int | None = None
    limit: int = -1
    seed: int = 0
    val_fraction: float = 0.01
    max_doc_chars: int = 10_000_000
    batch_size: int = 1000
    work_dir: str | None = None  # local folder for a remote output's shards before upload; None: the temp dir
    tokenizer_cache_mib: int = 64  # memory gigatoken's cache may add to a worker before its encoder is rebuilt

    def shaping(self) -> dict:
        """The settings that decide the output bytes; a resume must match them."""
        settings = asdict(self)
        for transient in TRANSIENT:
            settings.pop(transient)
        return settings
