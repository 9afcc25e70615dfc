"""The 1,000 ImageNet classes of the bundled classifier, in its output order, with words for each;
and the ImageNet-21k dictionary of nouns that word search looks typed words up in.

Every class is a WordNet synset; timm ships its lemmas (synonyms, the first
is the everyday name) and its definition (``timm.data.ImageNetInfo``, no
download).  ``class_names`` gives readable names ("golden retriever") to
name photo groups; ``label_texts`` gives the texts a sentence encoder turns
into the class's place in text space (the name, all lemmas, and the name
with its definition).

timm ships the same words for the 21,841 synsets of ImageNet-21k: many
things the classifier has no class for ("ketch: a sailing vessel with two
masts ...", "ibis", "menorah").  ``word_senses`` finds the senses of typed
words there, so a query can carry what the words mean, not only how they
are spelt (the small sentence encoder knows rare words mostly by their
letters: alone, "ketch" lands near "kelpie").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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


def _synset(info, index: int, synset: str) -> ImageNetClass:
    return ImageNetClass(index, synset, _lemmas(info.label_name_to_description(synset)),
                         info.label_name_to_description(synset, detailed=True).split(": ", 1)[1])


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """All classes in classifier order (index i is output i of ``network.classifier``)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo("imagenet-1k")
    synsets = info.label_names()
    if len(synsets) != NUM_CLASSES:
        raise RuntimeError(f"timm's ImageNet-1k list has {len(synsets)} classes, expected {NUM_CLASSES}")
    return tuple(_synset(info, index, synset) for index, synset in enumerate(synsets))


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
    from timm.data import ImageNetInfo

    info = ImageNetInfo("imagenet-22k")
    synsets = dict.fromkeys([*info.label_names(), *(item.synset for item in imagenet_classes())])
    senses: dict[str, list[ImageNetClass]] = {}
    for synset in synsets:
        sense = _synset(info, -1, synset)
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
