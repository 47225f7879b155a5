"""The registry is the one list of methods, segmenters and devices: every entry point offers exactly it."""

from __future__ import annotations

import argparse

import pytest

from matting_studio import classical
from matting_studio.cli import build_parser
from matting_studio.core import registry
from matting_studio.core.errors import MethodError
from matting_studio.engine import weights
from matting_studio.engine.segmentation import get_segmenter


def _choices(command: str, dest: str):
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return tuple(next(a for a in sub._actions if a.dest == dest).choices)


def test_names_are_unique_and_labelled():
    names = registry.METHOD_NAMES + registry.SEGMENTER_NAMES
    assert len(set(names)) == len(names)
    assert all(registry.choice(n).label and registry.choice(n).description for n in names)
    assert set(registry.COMPARED_BY_DEFAULT) <= set(registry.CLASSICAL) and registry.FALLBACK_METHOD in registry.CLASSICAL


def test_classical_methods_are_the_registry_s_in_its_order_with_its_labels():
    assert tuple(classical.METHODS) == registry.CLASSICAL
    assert all(classical.METHODS[n].label == registry.METHOD_LABELS[n] for n in registry.CLASSICAL)


def test_the_cli_offers_exactly_the_registry():
    assert _choices("cutout", "method") == registry.METHOD_NAMES
    for command in ("cutout", "compare"):
        assert _choices(command, "segmenter") == registry.SEGMENTER_NAMES
    for command in ("cutout", "compare", "evaluate"):
        assert _choices(command, "device") == registry.DEVICES
    assert _choices("train", "model") == registry.LEARNED


def test_learned_methods_name_weights_the_manifest_registers():
    assert set(weights.LEARNED_WEIGHTS) == set(registry.LEARNED)
    assert all(weights.LEARNED_WEIGHTS[c.name] == c.weights for c in registry.LEARNED_METHODS)
    assert all(name in weights.REGISTRY for name in weights.LEARNED_WEIGHTS.values())


def test_an_unknown_segmenter_is_refused_naming_every_known_one():
    with pytest.raises(MethodError) as caught:
        get_segmenter("sam")
    assert all(name in str(caught.value) for name in registry.SEGMENTER_NAMES)
