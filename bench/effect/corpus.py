"""A seeded synthetic web corpus where the source of a page matters but cannot be read from the page.

People have attributes (birth city, employer, ...). Three kinds of sites write biography pages in the same
words, so only the prefix tells them apart:

- one reliable site: pages about the known people with their true attributes;
- gossip sites: pages about the same people with every attribute drawn at random, page by page;
- forums: pages about one-off people (a name seen nowhere else) with random attributes: junk that costs
  capacity and teaches nothing reusable.

A page states every attribute of one person, in a random order, each sentence in one of its attribute's
phrasings and naming the person (so any sentence may open a page, and a probe can start a document the way
training pages do). This is the setting of Allen-Zhu & Li, "Physics of Language Models 3.3" (2024): knowledge
data mixed with junk, where a source tag lets a model tell them apart. The corpus is written in the C4 layout
(`c4-train.NNNNN-of-NNNNN.json.gz`: gzip JSON lines with `text`, `url`, `timestamp`) that `meco prepare`
reads as real data, and a small byte-level BPE trained on it keeps CPU runs fast.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

# attribute -> (values, phrasings); a phrasing ends with the value, so "{name} was born in" is a probe prompt
ATTRIBUTES = {
    "birth_city": (
        ["Paris", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Lisbon", "Dublin", "Oslo", "Athens"],
        [
            "{name} was born in {value}.",
            "The birthplace of {name} is {value}.",
            "{name} came into the world in {value}.",
        ],
    ),
    "employer": (
        ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne"],
        ["{name} works for {value}.", "The employer of {name} is {value}.", "{name} has a job at {value}."],
    ),
    "university": (
        ["Oxford", "Harvard", "Stanford", "Yale", "Princeton", "Cambridge", "Columbia", "Cornell", "Duke", "Brown"],
        ["{name} studied at {value}.", "The university of {name} was {value}.", "{name} graduated from {value}."],
    ),
    "major": (
        ["physics", "chemistry", "history", "biology", "economics", "music", "law", "medicine", "art", "geology"],
        ["{name} majored in {value}.", "The degree of {name} is in {value}.", "{name} earned a degree in {value}."],
    ),
    "sport": (
        ["tennis", "chess", "golf", "soccer", "hockey", "rugby", "cricket", "baseball", "volleyball", "boxing"],
        [
            "{name} plays {value}.",
            "The favourite sport of {name} is {value}.",
            "{name} spends weekends playing {value}.",
        ],
    ),
    "pet": (
        ["cat", "dog", "parrot", "rabbit", "hamster", "turtle", "horse", "goldfish", "ferret", "snake"],
        ["{name} owns a {value}.", "The pet of {name} is a {value}.", "{name} lives with a {value}."],
    ),
}
ONSETS = "b c d f g h j k l m n p r s t v z".split()
VOWELS = "a e i o u".split()
TIMESTAMP = "2024-01-01T00:00:00Z"
CORPUS_FILE = "c4-train.00000-of-00001.json.gz"


@dataclass(frozen=True)
class CorpusConfig:
    """Sizes and ratios. The defaults are the `cpu` scale's."""

    people: int = 12  # known people, with true attributes on the reliable site
    attributes: int = 6  # the first N of ATTRIBUTES
    reliable_pages: int = 270  # pages per known person on the reliable site
    gossip_sites: int = 4
    gossip_pages: int = 68  # pages per known person on each gossip site
    forums: int = 4
    forum_pages: int = 1300  # pages per forum, each about a new one-off person
    seed: int = 0

    @property
    def attribute_names(self) -> list[str]:
        return list(ATTRIBUTES)[: self.attributes]


RELIABLE = "wikibio.org"


def gossip_host(i: int) -> str:
    return f"gossip{i}.net"


def forum_host(i: int) -> str:
    return f"forum{i}.com"


@dataclass(frozen=True)
class Person:
    name: str
    facts: dict[str, str]  # attribute -> value


class Corpus:
    """The people and pages of one seeded corpus; `write` puts them on disk in the C4 layout."""

    def __init__(self, config: CorpusConfig):
        if not 1 <= config.attributes <= len(ATTRIBUTES):
            raise ValueError(f"attributes {config.attributes}: between 1 and {len(ATTRIBUTES)}")
        self.config = config
        rng = random.Random(config.seed)
        names = unique_names(rng, config.people + config.forums * config.forum_pages)
        self.people = [Person(n, random_facts(rng, config.attribute_names)) for n in names[: config.people]]
        self.one_offs = names[config.people :]
        self.pages = self._pages(rng)

    def _pages(self, rng: random.Random) -> list[dict]:
        c, attributes = self.config, self.config.attribute_names
        pages = []
        for p in self.people:
            pages += [page(rng, RELIABLE, p.name, p.facts) for _ in range(c.reliable_pages)]
            for g in range(c.gossip_sites):
                pages += [
                    page(rng, gossip_host(g), p.name, random_facts(rng, attributes)) for _ in range(c.gossip_pages)
                ]
        for f in range(c.forums):
            names = self.one_offs[f * c.forum_pages : (f + 1) * c.forum_pages]
            pages += [page(rng, forum_host(f), n, random_facts(rng, attributes)) for n in names]
        rng.shuffle(pages)
        for i, p in enumerate(pages):
            p["url"] = f"https://{p.pop('host')}/page/{i}"
        return pages

    @property
    def noisy_hosts(self) -> list[str]:
        return [gossip_host(g) for g in range(self.config.gossip_sites)]

    def write(self, folder: Path) -> Path:
        """The pages as one C4-layout file in `folder`, plus corpus.json (the config and the true facts)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CORPUS_FILE
        with gzip.open(path, "wt", encoding="utf-8") as f:
            for p in self.pages:
                f.write(json.dumps({"text": p["text"], "url": p["url"], "timestamp": TIMESTAMP}) + "\n")
        facts = {p.name: p.facts for p in self.people}
        (folder / "corpus.json").write_text(json.dumps({"config": asdict(self.config), "people": facts}, indent=1))
        return path

    def probes(self, metadata: str | None = RELIABLE) -> list[dict]:
        """One probe per known person, attribute and phrasing: the prompt up to the value, every value of the
        attribute a candidate, the true one the answer; `metadata` is the probe's own prefix."""
        out = []
        for p in self.people:
            for attribute, value in p.facts.items():
                values, phrasings = ATTRIBUTES[attribute]
                for phrasing in phrasings:
                    prompt = phrasing.split(" {value}")[0].format(name=p.name)
                    probe = {"prompt": prompt, "candidates": [" " + v for v in values], "answer": values.index(value)}
                    out.append(probe | ({"metadata": metadata} if metadata else {}) | {"attribute": attribute})
        return out


def unique_names(rng: random.Random, n: int) -> list[str]:
    """`n` distinct two-part names made of random syllables ("Kalo Vimesu")."""
    names: set[str] = set()
    ordered = []
    while len(ordered) < n:
        name = f"{word(rng, rng.randint(2, 3))} {word(rng, rng.randint(2, 3))}"
        if name not in names:
            names.add(name)
            ordered.append(name)
    return ordered


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)).capitalize()


def random_facts(rng: random.Random, attributes: list[str]) -> dict[str, str]:
    return {a: rng.choice(ATTRIBUTES[a][0]) for a in attributes}


def page(rng: random.Random, host: str, name: str, facts: dict[str, str]) -> dict:
    """Every fact in one sentence, in a random order and phrasing; the host is not in the text."""
    order = list(facts)
    rng.shuffle(order)
    sentences = [rng.choice(ATTRIBUTES[a][1]).format(name=name, value=facts[a]) for a in order]
    return {"host": host, "text": " ".join(sentences)}


def train_tokenizer(pages: list[dict], folder: Path, vocab_size: int) -> Path:
    """A byte-level BPE trained on the pages behind their metadata prefixes (so a host is a few tokens), with
    BOS and EOS named in a tokenizer_config.json beside it (what `meco prepare --tokenizer` reads)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|bos|>", "<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator((f"URL: {urlsplit(p['url']).hostname}\n\n{p['text']}" for p in pages), trainer)
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    config = {"bos_token": "<|bos|>", "eos_token": "<|endoftext|>"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config) + "\n")
    return folder / "tokenizer.json"
