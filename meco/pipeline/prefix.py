"""The pipeline step that gives each document its metadata text, a prefix or suffix (or none, counted by reason)."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from ..shards import PrefixTemplate
from .fields import FIELDS_KEY, field_values
from .metadata import UrlMetadata, printable
from .topic import TopicClassifier

PREFIX_KEY = "meco_prefix"  # Document.metadata key the shard writer reads (the rendered prefix or suffix)


class AttachMetadataPrefix(PipelineStep):
    """Sets `metadata["meco_prefix"]` to the rendered template, "" when the document has no usable metadata.

    Stats: `without_metadata.<reason>` (no_url, non_string_url, unparsable_url, topic_below_threshold,
    missing_NAME, malformed_NAME) for documents left without a prefix, `missing.<kind>` for a kind absent from
    an otherwise prefixed document, `field_values.NAME.missing|malformed` for every document whose field NAME
    has no usable value, `repaired.metadata_control_characters_removed` for a value (a topic label, say)
    cleaned of them.
    """

    name = "🏷 MeCo metadata prefix"
    type = "🔖 - METADATA"

    def __init__(
        self,
        kinds: list[str],
        template: str,
        hash_salt: str = "",
        topic: TopicClassifier | None = None,
        fields: dict[str, dict] | None = None,
    ):
        super().__init__()
        self.kinds, self.template, self.topic, self.fields = kinds, PrefixTemplate(template), topic, fields or {}
        self.template.check(kinds)
        self.url_metadata = UrlMetadata(kinds, hash_salt)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                values, reason = self.url_metadata.extract(doc.metadata.get("url"))
                if self.topic is not None:
                    if label := self.topic.topic(doc.text):
                        values["topic"] = label
                    else:
                        reason = reason or "topic_below_threshold"
                if self.fields:
                    found, problems = field_values(doc.metadata.pop(FIELDS_KEY, {}), self.fields)
                    values |= found
                    for name, problem in problems.items():
                        self.stat_update(f"field_values.{name}.{problem}")
                        reason = reason or f"{problem}_{name}"
                cleaned = {kind: printable(value) for kind, value in values.items()}
                if cleaned != values:  # the last guard: no NUL or control character ever reaches a prefix
                    self.stat_update("repaired.metadata_control_characters_removed")
                    values = {kind: value for kind, value in cleaned.items() if value}
                prefix = self.template.render(values)
                doc.metadata[PREFIX_KEY] = prefix
                if not prefix:
                    self.stat_update(f"without_metadata.{reason or 'no_value'}")
                else:
                    self.stat_update("with_metadata")
                    for kind in self.template.fields:
                        if kind not in values:
                            self.stat_update(f"missing.{kind}")
            yield doc
