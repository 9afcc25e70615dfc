"""The heads the app runs in numpy give the forward passes of the PyTorch modules they were trained as."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from album.vision.head import PersonalHead, ResidualHead
from album.vision.head_arrays import head_arrays
from album.vision.modelfile import DEFAULT_MODEL, load_head, load_model


def _arrays(module):
    return head_arrays(module.config(), {name: tensor.numpy() for name, tensor in module.state_dict().items()})


def _trained_residual(power: float, whiten: float, seed: int = 0) -> ResidualHead:
    """A residual head as training leaves it: a reference set, and a correction that is not zero."""
    torch.manual_seed(seed)
    head = ResidualHead(32, hidden=16, power=power, whiten=whiten)
    head.set_reference(torch.randn(200, 32).abs() + 0.1 * torch.randn(200, 32))
    for parameter in (head.down.weight, head.down.bias, head.up.weight, head.up.bias):
        torch.nn.init.normal_(parameter, std=0.3)
    return head.eval()


def _features(rows: int = 9, dim: int = 32) -> np.ndarray:
    features = np.random.default_rng(1).normal(size=(rows, dim)).astype(np.float32)
    features[0] = 0.0  # a zero row: the power and the normalisation must not turn it into NaN
    return features


def _forward(module, features: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(features)).numpy()


@pytest.mark.parametrize("power, whiten", [(1.0, 0.0), (0.5, 0.5), (0.5, 0.0)])
def test_a_residual_head_runs_as_its_module(power, whiten):
    module = _trained_residual(power, whiten)
    features = _features()
    ours = _arrays(module)(features)
    assert ours.dtype == np.float32 and ours.shape == (9, 32) and _arrays(module).dim == 32
    np.testing.assert_allclose(ours, _forward(module, features), atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("groups, weight", [(4, 1.0), (4, 0.0), (0, 1.0)])
def test_a_personal_head_runs_as_its_module(groups, weight):
    torch.manual_seed(2)
    module = PersonalHead(_trained_residual(0.5, 0.5).config(), groups, weight=weight)
    module.base.load_state_dict(_trained_residual(0.5, 0.5).state_dict())
    torch.nn.init.normal_(module.adapter.weight, std=0.1)
    module.prototypes.copy_(torch.nn.functional.normalize(torch.randn(groups, 32), dim=1))
    features = _features()
    ours = _arrays(module)(features)
    expected = _forward(module.eval(), features)
    assert ours.shape == expected.shape == (9, _arrays(module).dim)
    np.testing.assert_allclose(ours, expected, atol=2e-5, rtol=1e-5)


def test_the_shipped_model_embeds_as_its_pytorch_head():
    encoder = load_model(DEFAULT_MODEL)
    features = np.random.default_rng(3).random((16, 1280), dtype=np.float32) * 3
    with torch.no_grad():
        reference = torch.nn.functional.normalize(load_head(DEFAULT_MODEL)(torch.from_numpy(features)), dim=1)
    np.testing.assert_allclose(encoder.embed_features(features), reference.numpy(), atol=1e-5)


def test_an_unknown_head_type_is_refused_plainly():
    with pytest.raises(ValueError, match="unknown head type 'mystery'"):
        head_arrays({"type": "mystery"}, {})
