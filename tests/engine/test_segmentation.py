"""Segmenters: the TFLite reader, our selfie port vs the TFLite interpreter, person masks, DeepLabV3 shapes,
object mode."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matting_studio.core.errors import MattingError, MethodError, WeightsError
from matting_studio.core.imageio import list_images, load_image
from matting_studio.engine import weights
from matting_studio.engine.segmentation import get_segmenter

OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MUL", "RELU", "HARD_SWISH", "LOGISTIC", "AVERAGE_POOL_2D",
       "RESIZE_BILINEAR", "DEQUANTIZE", "Convolution2DTransposeBias"}


@pytest.fixture(scope="module")
def selfie_path():
    try:
        return weights.ensure_weights(weights.SELFIE.name)
    except WeightsError as exc:
        pytest.skip(f"the selfie model cannot be obtained here: {exc}")


@pytest.mark.network
def test_reader_lists_the_known_operators(selfie_path):
    from matting_studio.engine.segmentation.tflite_reader import read_tflite

    graph = read_tflite(selfie_path)
    assert {op.opcode for op in graph.operators} == OPS
    assert graph.tensors[graph.inputs[0]].shape == (1, 256, 256, 3)
    assert graph.tensors[graph.outputs[0]].shape == (1, 256, 256, 1)


@pytest.mark.network
def test_port_matches_the_tflite_interpreter(selfie_path, shared_data):
    import torch

    interpreter_mod = pytest.importorskip("ai_edge_litert.interpreter")
    from matting_studio.engine.segmentation.selfie import SelfieSegmentation

    ours = SelfieSegmentation.from_file(selfie_path).eval()
    interpreter = interpreter_mod.Interpreter(model_path=str(selfie_path))
    interpreter.allocate_tensors()
    photos = list_images(shared_data / "portraits" / "image")[:3]
    worst = 0.0
    for path in photos:
        x = cv2.resize(load_image(path).rgb, (256, 256), interpolation=cv2.INTER_AREA)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[None].astype(np.float32))
        interpreter.invoke()
        reference = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, ..., 0]
        with torch.inference_mode():
            mine = ours(torch.from_numpy(x).permute(2, 0, 1)[None])[0, 0].numpy()
        worst = max(worst, float(np.abs(mine - reference).max()))
    assert worst < 1e-3, worst  # measured 4e-5


@pytest.mark.network
def test_person_mask_on_a_real_portrait(selfie_path, shared_data):
    image = load_image(shared_data / "portraits" / "image" / "astronaut.png").rgb
    mask = get_segmenter("person", device="cpu").segment(image)
    assert mask.shape == image.shape[:2] and mask.dtype == np.float32
    assert 0 <= mask.min() and mask.max() <= 1
    assert mask[200:300, 200:300].mean() > 0.9  # face and suit
    assert mask[:40, -60:].mean() < 0.2  # background top right


def test_mask_upsampling_follows_image_edges():
    from matting_studio.core.guided_filter import guided_upsample

    image = np.full((600, 800, 3), 0.1, np.float32)
    image[:, 403:] = 0.9  # an edge that falls inside a low-resolution pixel
    low = cv2.resize((image[..., 0] > 0.5).astype(np.float32), (100, 75), interpolation=cv2.INTER_AREA)
    sharp = guided_upsample(low, image, eps=1e-3)
    blurry = cv2.resize(low, (800, 600), interpolation=cv2.INTER_LINEAR)
    truth = (image[..., 0] > 0.5).astype(np.float32)
    band = slice(380, 420)
    assert np.abs(sharp - truth)[:, band].mean() < 0.7 * np.abs(blurry - truth)[:, band].mean()


@pytest.mark.parametrize("size", [(97, 130), (64, 64)])
def test_deeplab_shapes_with_random_weights(size):
    import torch

    from matting_studio.engine.segmentation.deeplab import DeepLabSegmenter, build_deeplab

    model = build_deeplab("mobilenet_v3_large").eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, *size))["out"]
    assert out.shape == (1, 21, *size)
    seg = DeepLabSegmenter(device="cpu", allow_random=True, working_size=64)
    mask = seg.segment(np.random.default_rng(0).random((*size, 3)).astype(np.float32))
    assert mask.shape == size and 0 <= mask.min() and mask.max() <= 1


def test_deeplab_without_weights_is_a_clear_error(tmp_path):
    from matting_studio.engine.segmentation.deeplab import DeepLabSegmenter, build_deeplab

    with pytest.raises(WeightsError, match="weights"):
        DeepLabSegmenter(device="cpu")
    with pytest.raises(WeightsError):
        build_deeplab("vgg")
    with pytest.raises(WeightsError):
        build_deeplab(weights=tmp_path / "missing.pt")


def test_deeplab_without_torchvision_is_a_clear_error(monkeypatch):
    import sys

    from matting_studio.engine.segmentation.deeplab import build_deeplab

    monkeypatch.setitem(sys.modules, "torchvision.models", None)  # import fails, as where it is not installed
    with pytest.raises(WeightsError, match="needs torchvision"):
        build_deeplab()


def test_pipeline_falls_back_from_deeplab_to_person(monkeypatch):
    from matting_studio.engine.pipeline import Pipeline

    pipe = Pipeline(segmenter="deeplabv3", method="cf")
    calls = []

    class Fake:
        def segment(self, image, progress=None, cancel=None):
            calls.append(1)
            return np.ones(image.shape[:2], np.float32)

    real = pipe._get_segmenter
    monkeypatch.setattr(pipe, "_get_segmenter", lambda name: Fake() if name == "person" else real(name))
    mask = pipe.segment(np.zeros((20, 20, 3), np.float32))
    assert calls and mask.shape == (20, 20) and "person segmenter" in pipe.fallback_warning
    result = pipe.run(np.zeros((20, 20, 3), np.float32))
    assert "person segmenter" in result.warnings[0]


def product_shot():
    h, w = 240, 320
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    obj = ((np.abs(yy - 120) < 60) & (np.abs(xx - 160) < 80)).astype(np.float32)
    background = np.stack([0.92 + 0.02 * np.sin(xx / 5), 0.9 + 0 * xx, 0.88 + 0.02 * np.cos(yy / 7)], -1)
    colour = np.stack([0.15 + 0.1 * xx / w, 0.35 + 0 * xx, 0.7 + 0 * xx], -1)
    return (obj[..., None] * colour + (1 - obj[..., None]) * background).astype(np.float32), obj


def iou(mask, truth):
    m = mask > 0.5
    return (m & (truth > 0.5)).sum() / (m | (truth > 0.5)).sum()


def test_grabcut_object_mode_finds_a_product():
    image, truth = product_shot()
    assert iou(get_segmenter("object", backend="grabcut").segment(image), truth) > 0.9
    assert iou(get_segmenter("object", backend="grabcut", rect=(60, 40, 200, 160)).segment(image), truth) > 0.9


def test_object_mode_falls_back_to_grabcut_without_weights(monkeypatch, tmp_path):
    from matting_studio.engine.pipeline import Pipeline
    from matting_studio.engine.segmentation import object_mode

    def unavailable(device, progress=None):
        raise WeightsError("The weights of 'u2netp' are not installed.")

    monkeypatch.setattr(object_mode, "load_u2netp", unavailable)
    image, truth = product_shot()
    pipe = Pipeline(segmenter="object", method="cf", device="cpu")
    assert iou(pipe.segment(image), truth) > 0.9
    assert "GrabCut" in pipe.segmenter_warning()
    assert any("GrabCut" in w for w in pipe.run(image).warnings)  # and each result says so
    with pytest.raises(WeightsError):
        get_segmenter("object", backend="u2netp", device="cpu").segment(image)
    with pytest.raises(MattingError):
        get_segmenter("object", backend="nope")


@pytest.fixture(scope="module")
def u2netp_path():
    try:
        return weights.ensure_weights(weights.U2NETP.name)
    except WeightsError as exc:
        pytest.skip(f"U²-Net-p cannot be obtained here: {exc}")


@pytest.mark.network
def test_u2netp_port_matches_onnxruntime(u2netp_path, shared_data):
    import torch

    ort = pytest.importorskip("onnxruntime")
    from matting_studio.engine.segmentation.u2netp import build_u2netp, preprocess

    ours = build_u2netp(weights=u2netp_path)
    session = ort.InferenceSession(str(u2netp_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for name in ("astronaut.png",):
        x = preprocess(load_image(shared_data / "portraits" / "image" / name).rgb)
        reference = session.run(None, {session.get_inputs()[0].name: x})
        with torch.inference_mode():
            mine = ours(torch.from_numpy(x))
        assert len(mine) == len(reference) == 7
        worst = max(worst, max(float(np.abs(m.numpy() - r).max()) for m, r in zip(mine, reference)))
    assert worst < 1e-3, worst  # measured 2.6e-5


def test_u2netp_shapes_and_bad_weights(tmp_path):
    import torch

    from matting_studio.engine.segmentation.u2netp import build_u2netp

    model = build_u2netp()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 45, 61))  # odd sizes: ceil-mode pooling, upsampling back to the input
    assert len(outs) == 7 and all(o.shape == (1, 1, 45, 61) for o in outs)
    assert all(0 <= float(o.min()) and float(o.max()) <= 1 for o in outs)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(WeightsError):
        build_u2netp(weights=bad)


@pytest.mark.network
def test_object_mode_finds_the_product_in_its_rectangle_with_u2netp(u2netp_path):
    image, truth = product_shot()
    boxed = get_segmenter("object", backend="u2netp", device="cpu", rect=(60, 40, 200, 160)).segment(image)
    assert boxed[:40].max() == 0 and iou(boxed, truth) > 0.9


def test_unknown_segmenter():
    with pytest.raises(MethodError):
        get_segmenter("nope")


# -- subjects on their side (EXIF orientation lost or wrong) ---------------------------------------------


def marked_image(h=40, w=60):
    """Noise with a red top row: the fake network below finds a "person" only when that row is on top."""
    image = np.random.default_rng(0).random((h, w, 3)).astype(np.float32) * 0.5
    image[0, :, 0] = 1.0
    return image


def fake_low_res(segmenter, image):
    """A "person" (the left half of the frame, p = 0.9) when the red row is on top; else p = 0.1 everywhere."""
    low = np.full((256, 256), 0.1, np.float32)
    if image[0, :, 0].mean() > 0.99:
        low[:, :128] = 0.9
    return low


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_the_person_segmenter_looks_at_turns_when_it_finds_no_one(monkeypatch, k):
    from matting_studio.engine.segmentation.person import PersonSegmenter

    monkeypatch.setattr(PersonSegmenter, "low_res", fake_low_res)
    segmenter = PersonSegmenter(device="cpu")
    upright = segmenter.upright_low_res(marked_image())
    turned = segmenter.upright_low_res(np.rot90(marked_image(), k))
    assert np.array_equal(turned, np.rot90(upright, k))  # the same mask, in the turned image's frame
    assert (upright[:, :128] == 0.9).all()


def test_no_person_in_any_turn_keeps_the_mask_as_loaded(monkeypatch):
    from matting_studio.engine.segmentation.person import PersonSegmenter

    monkeypatch.setattr(PersonSegmenter, "low_res", lambda self, image: np.full((256, 256), 0.1, np.float32))
    assert (PersonSegmenter(device="cpu").upright_low_res(marked_image()) == 0.1).all()


def test_combined_adds_the_persons_attached_regions_only():
    from matting_studio.engine.segmentation.combined import combine_masks

    h, w = 300, 400
    yy, xx = np.mgrid[0:h, 0:w]
    obj = (np.hypot(yy - 100, xx - 200) < 60).astype(np.float32)  # the salient head
    person = obj.copy()
    person[150:300, 120:280] = 1  # the body below it, which the salient-object mask left out
    person[(np.hypot(yy - 100, xx - 200) < 64) & (yy < 100)] = 1  # a 4-px sliver along the head's edge
    person[20:80, 330:390] = 1  # a separate blob far from the object
    combined = combine_masks(obj, person)
    assert combined[200:300, 130:270].min() == 1.0
    assert combined[20:80, 330:390].max() == 0.0
    sliver = (np.hypot(yy - 100, xx - 200) >= 61) & (np.hypot(yy - 100, xx - 200) < 64) & (yy < 60)
    assert combined[sliver].max() == 0.0
    np.testing.assert_array_equal(combine_masks(obj, obj), obj)


def test_combined_ignores_a_person_mask_that_misses_the_object():
    from matting_studio.engine.segmentation.combined import AGREE, combine_masks

    h, w = 300, 400
    yy, xx = np.mgrid[0:h, 0:w]
    obj = (np.hypot(yy - 100, xx - 150) < 60).astype(np.float32)
    person = np.zeros_like(obj)
    person[120:300, 180:330] = 1  # another subject that touches the object: no person sees the object
    assert (person[obj >= 0.5] >= 0.5).mean() < AGREE
    np.testing.assert_array_equal(combine_masks(obj, person), obj)
    person[obj >= 0.5] = 1  # the same blob, now with the object seen as part of the person: it is added
    assert combine_masks(obj, person)[250:300, 200:320].min() == 1.0
