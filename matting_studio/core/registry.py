"""The one registry of what a user can choose: matting methods, segmenters, automatic bands and devices, with
their labels. Pure data (no torch, no pymatting): the CLI's choices, the app's panes and menus, ``evaluate``,
the pipeline and the weights manifest all read these. Adding a method is one entry here plus its function
(``classical.METHODS`` or the learned pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    description: str
    weights: Optional[str] = None  # learned methods: the weights bundle they need (engine.weights manifest)


CLASSICAL_METHODS = (
    Choice("cf", "Closed-form", "Levin et al. 2008, matting Laplacian"),
    Choice("knn", "KNN", "Chen et al. 2013, non-local K nearest neighbours"),
    Choice("rw", "Random Walk", "Grady et al. 2005, random-walk affinities"),
    Choice("lkm", "Large kernel", "He et al. 2010, large-kernel Laplacian"),
    Choice("lbdm", "Learning-based", "Zheng & Kambhamettu 2009"),
)
LEARNED_METHODS = (
    Choice("dlmng", "DLMN-G", "the learned matting network on the image, segmentation and motion cues",
           weights="dlmng-lite"),
    Choice("ssrn", "DLMN-G + SSRN", "DLMN-G refined by the self-supervised refinement network",
           weights="ssrn-lite"),
)
SEGMENTERS = (
    Choice("person", "Person", "MediaPipe selfie segmenter (port)"),
    Choice("deeplabv3", "DeepLabV3", "torchvision DeepLabV3, the paper's segmenter (weights given by the user)"),
    Choice("object", "Object", "U²-Net-p salient object (port); GrabCut when its weights are missing"),
    Choice("combined", "Person + object", "the union of the person and object masks"),
)
DEVICES = ("auto", "cpu", "cuda", "mps")

CLASSICAL = tuple(c.name for c in CLASSICAL_METHODS)
LEARNED = tuple(c.name for c in LEARNED_METHODS)
METHOD_NAMES = CLASSICAL + LEARNED
SEGMENTER_NAMES = tuple(c.name for c in SEGMENTERS)
DEFAULT_SEGMENTER = "person"
COMPARED_BY_DEFAULT = ("cf", "knn", "rw")  # the classical methods the paper compares with (compare, evaluate, panes)
FALLBACK_METHOD = "cf"  # auto mode's method until learned weights are marked default
METHOD_LABELS = {c.name: c.label for c in CLASSICAL_METHODS + LEARNED_METHODS}


def choice(name: str) -> Choice:
    """The method or segmenter called ``name`` (KeyError when there is none)."""
    return {c.name: c for c in CLASSICAL_METHODS + LEARNED_METHODS + SEGMENTERS}[name]
