"""The ImageNet class words are timm's, read without importing timm."""

from __future__ import annotations

import subprocess
import sys

from album.vision.imagenet_labels import NUM_CLASSES, imagenet_classes, word_senses


def _timm_words(subset: str, synsets) -> list[tuple[str, str]]:
    from timm.data import ImageNetInfo

    info = ImageNetInfo(subset)
    return [(info.label_name_to_description(s), info.label_name_to_description(s, detailed=True)) for s in synsets]


def test_the_words_are_those_timm_reads():
    classes = imagenet_classes()
    assert len(classes) == NUM_CLASSES and [c.index for c in classes] == list(range(NUM_CLASSES))
    from timm.data import ImageNetInfo

    assert [c.synset for c in classes] == ImageNetInfo("imagenet-1k").label_names()
    expected = _timm_words("imagenet-1k", [c.synset for c in classes])
    assert [(c.lemmas, c.definition) for c in classes] == [
        (tuple(lemma.strip().replace("_", " ") for lemma in lemmas.split(",") if lemma.strip()),
         detailed.split(": ", 1)[1]) for lemmas, detailed in expected]
    ketch = word_senses("ketch")[0]
    assert _timm_words("imagenet-22k", [ketch.synset]) == [("ketch", f"ketch: {ketch.definition}")]


def test_reading_them_imports_no_timm():
    probe = ("import sys\nfrom album.vision.imagenet_labels import imagenet_classes, word_senses\n"
             "imagenet_classes(); word_senses('ketch')\nprint('timm' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
