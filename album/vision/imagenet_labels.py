"""The 1,000 ImageNet classes of the bundled classifier, in its output order, with words for each.

Every class is a WordNet synset; timm ships its lemmas (synonyms, the first
is the everyday name) and its definition (``timm.data.ImageNetInfo``, no
download).  ``class_names`` gives readable names ("golden retriever") to
name photo groups; ``label_texts`` gives the texts a sentence encoder turns
into the class's place in text space (the name, all lemmas, and the name
with its definition).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

#: How many classes the bundled classifier (``network.classifier``) outputs.
NUM_CLASSES = 1000


@dataclass(frozen=True)
class ImageNetClass:
    """One output of the classifier: its WordNet synset and words."""

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


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """All classes in classifier order (index i is output i of ``network.classifier``)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo("imagenet-1k")
    synsets = info.label_names()
    if len(synsets) != NUM_CLASSES:
        raise RuntimeError(f"timm's ImageNet-1k list has {len(synsets)} classes, expected {NUM_CLASSES}")
    return tuple(
        ImageNetClass(index, synset, _lemmas(info.label_name_to_description(synset)),
                      info.label_name_to_description(synset, detailed=True).split(": ", 1)[1])
        for index, synset in enumerate(synsets)
    )


def class_names() -> list[str]:
    """Readable names of the 1,000 classes in classifier order, e.g. ``"golden retriever"``."""
    return [item.name for item in imagenet_classes()]
