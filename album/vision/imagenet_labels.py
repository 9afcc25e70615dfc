"""The 1,000 ImageNet classes of the bundled classifier, in its output order, with words for each;
and the ImageNet-21k dictionary of nouns that word search looks typed words up in.

Every class is a WordNet synset; timm ships its lemmas (synonyms, the first
is the everyday name) and its definition (the files ``timm.data.ImageNetInfo``
reads, read here without importing timm; no download).  ``class_names``
gives readable names ("golden retriever") to name photo groups;
``label_texts`` gives the texts a sentence encoder turns into the class's
place in text space (the name, all lemmas, and the name with its
definition).

timm ships the same words for the 21,841 synsets of ImageNet-21k: many
things the classifier has no class for ("ketch: a sailing vessel with two
masts ...", "ibis", "menorah").  ``word_senses`` finds the senses of typed
words there, so a query can carry what the words mean, not only how they
are spelt (the small sentence encoder knows rare words mostly by their
letters: alone, "ketch" lands near "kelpie").
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from album.paths import RESOURCES

#: where a packaged app that leaves timm out keeps its word lists (packaging/album.spec copies them)
SHIPPED_WORDS = RESOURCES / "imagenet"
#: How many classes the bundled classifier (``network.classifier``) outputs.
NUM_CLASSES = 1000


@dataclass(frozen=True)
class ImageNetClass:
    """One output of the classifier (or, with ``index`` -1, one noun of the dictionary): its WordNet
    synset and words."""

    index: int
    synset: str
    lemmas: tuple[str, ...]
    definition: str

    @property
    def name(self) -> str:
        """The everyday name: the first lemma, underscores as spaces ("golden retriever")."""
        return self.lemmas[0]

    def label_texts(self) -> tuple[str, str, str]:
        """The name, all lemmas, and the name with its definition: averaged, they place the class in text space."""
        return self.name, ", ".join(self.lemmas), f"{self.name}: {self.definition}"


def _lemmas(text: str) -> tuple[str, ...]:
    return tuple(lemma.strip().replace("_", " ") for lemma in text.split(",") if lemma.strip())


def _timm_info(name: str) -> str:
    """A word list timm ships in ``timm/data/_info``, read without importing timm (which imports
    torchvision and torch._dynamo: about 2 s in a new process) the way ``timm.data.ImageNetInfo`` reads it;
    in a packaged app that leaves timm out, the copy in ``SHIPPED_WORDS``."""
    shipped = SHIPPED_WORDS / name
    if shipped.is_file():
        return shipped.read_text("utf-8")
    try:
        spec = importlib.util.find_spec("timm")
    except ImportError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("timm, which ships the ImageNet class words, is not installed")
    return (Path(list(spec.submodule_search_locations)[0]) / "data" / "_info" / name).read_text("utf-8")


@lru_cache(maxsize=1)
def _words() -> tuple[dict[str, str], dict[str, str]]:
    """Every synset's lemmas (comma-separated) and definition."""
    return tuple(dict(csv.reader(_timm_info(name).splitlines(), delimiter="\t"))
                 for name in ("imagenet_synset_to_lemma.txt", "imagenet_synset_to_definition.txt"))


def _synsets(name: str) -> list[str]:
    return _timm_info(name).splitlines()


def _synset(index: int, synset: str) -> ImageNetClass:
    lemmas, definitions = _words()
    return ImageNetClass(index, synset, _lemmas(lemmas[synset]), definitions[synset])


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """All classes in classifier order (index i is output i of ``network.classifier``)."""
    synsets = _synsets("imagenet_synsets.txt")
    if len(synsets) != NUM_CLASSES:
        raise RuntimeError(f"timm's ImageNet-1k list has {len(synsets)} classes, expected {NUM_CLASSES}")
    return tuple(_synset(index, synset) for index, synset in enumerate(synsets))


def class_names() -> list[str]:
    """Readable names of the 1,000 classes in classifier order, e.g. ``"golden retriever"``."""
    return [item.name for item in imagenet_classes()]


def word_key(words: str) -> str:
    """Typed words as the dictionary keys them: lower case, single spaces for any run of spaces,
    hyphens and underscores, no possessive "'s" or apostrophes, no leading article."""
    text = words.lower().replace("'s", "").replace("'", "")
    text = re.sub(r"[-_\s]+", " ", text).strip()
    return re.sub(r"^(a|an|the) ", "", text)


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, tuple[ImageNetClass, ...]]:
    """Every lemma of the ImageNet-21k synsets (and the 1k classes), keyed by ``word_key``, -> its senses."""
    synsets = dict.fromkeys([*_synsets("imagenet22k_synsets.txt"), *(item.synset for item in imagenet_classes())])
    senses: dict[str, list[ImageNetClass]] = {}
    for synset in synsets:
        sense = _synset(-1, synset)
        for lemma in sense.lemmas:
            entry = senses.setdefault(word_key(lemma), [])
            if sense not in entry:
                entry.append(sense)
    return {key: tuple(entry) for key, entry in senses.items()}


def load_dictionary() -> None:
    """Read the dictionary now (about a second) rather than on the first lookup."""
    _dictionary()


def word_senses(words: str) -> tuple[ImageNetClass, ...]:
    """The ImageNet-21k senses of some typed words, as a whole ("golden retriever", "Airplanes",
    "wild cat"): the words as keyed, else without a plural "s" or "es", with an "s" added, or without
    spaces; () when the dictionary has none of those."""
    dictionary = _dictionary()
    key = word_key(words)
    candidates = (key, key[:-1] if key.endswith("s") else "", key[:-2] if key.endswith("es") else "",
                  key + "s", key.replace(" ", ""))
    for candidate in candidates:
        if candidate in dictionary:
            return dictionary[candidate]
    return ()
