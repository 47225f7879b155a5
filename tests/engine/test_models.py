"""DLMN-G, SSRN and the discriminator: shapes, ranges, gradients, weights round trip, over-fitting."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from matting_studio.core.errors import WeightsError
from matting_studio.engine.models import build_discriminator, build_dlmng, build_ssrn, load_weights
from matting_studio.engine.models.infer import predict_alpha


def inputs(b, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(b, 3, h, w, generator=g)
    seg = torch.rand(b, 1, h, w, generator=g)
    motion = image.mean(1, keepdim=True).repeat(1, 4, 1, 1)
    trimap = torch.full((b, 1, h, w), 0.5)
    trimap[..., : h // 3, :] = 0.0
    trimap[..., -h // 3:, :] = 1.0
    return image, seg, motion, trimap


def prior_of(image, seg, trimap=None):
    """The matting prior DLMN-G lite is given, as the pipeline's prior stage makes it (of the soft segmentation's
    confident parts without a trimap)."""
    from matting_studio.engine.models.colour_prior import confident_trimap, matting_prior_batch

    if trimap is None:
        trimap = torch.from_numpy(np.stack([confident_trimap(s[0].numpy())[None] for s in seg]))
    return matting_prior_batch(image, trimap)


def test_lite_dlmng_without_its_prior_is_a_clear_error():
    from matting_studio.core.errors import MattingError

    image, seg, motion, trimap = inputs(1, 16, 16)
    with pytest.raises(MattingError, match="prior"):
        build_dlmng(config="lite")(image, seg, motion, trimap)


def test_gate_is_in_range_and_an_untrained_network_returns_its_cue_mixture():
    from matting_studio.engine.models.blocks import apply_known
    from matting_studio.engine.models.dlmng import CUE_BIAS, CUES

    image, seg, motion, trimap = inputs(1, 40, 48)
    prior = prior_of(image, seg, trimap)
    with torch.no_grad():
        out = build_dlmng(config="lite").eval()(image, seg, motion, trimap, prior=prior)
    w = torch.softmax(torch.tensor(CUE_BIAS), 0).view(1, -1, 1, 1)
    mix = apply_known((w * prior[:, list(CUES)]).sum(1, keepdim=True), trimap)
    assert out["gate"].min() >= 0 and out["gate"].max() <= 1
    assert torch.allclose(out["alpha"], mix, atol=1e-5)  # exactly, 0 and 1 included


@pytest.mark.parametrize("size", [(33, 47), (64, 64), (97, 130)])
@pytest.mark.parametrize("with_trimap", [False, True])
def test_dlmng_shapes_ranges_and_known_regions(size, with_trimap):
    torch.manual_seed(0)
    model = build_dlmng(config="lite").eval()
    image, seg, motion, trimap = inputs(2, *size)
    tri = trimap if with_trimap else None
    with torch.no_grad():
        out = model(image, seg, motion, tri, prior=prior_of(image, seg, tri))
    assert out["alpha"].shape == (2, 1, *size) and out["foreground"].shape == (2, 3, *size)
    for t in out.values():
        assert t.min() >= 0 and t.max() <= 1 and torch.isfinite(t).all()
    if with_trimap:
        assert torch.all(out["alpha"][trimap == 1.0] == 1.0) and torch.all(out["alpha"][trimap == 0.0] == 0.0)


def test_dlmng_without_foreground_skips_the_colour_decoder_and_keeps_alpha():
    torch.manual_seed(0)
    model = build_dlmng(config="lite").eval()
    torch.nn.init.normal_(model.fg_dec.head.weight, std=0.1)  # a non-trivial colour decoder
    image, seg, motion, trimap = inputs(1, 40, 56)
    calls = []
    model.fg_dec.register_forward_hook(lambda *a: calls.append(1))
    prior = prior_of(image, seg, trimap)
    with torch.no_grad():
        full = model(image, seg, motion, trimap, prior=prior)
        lean = model(image, seg, motion, trimap, prior=prior, foreground=False)
    assert len(calls) == 1
    assert torch.equal(full["alpha"], lean["alpha"]) and torch.equal(lean["foreground"], image)
    assert not torch.equal(full["foreground"], image)


def test_channels_last_model_gives_the_same_result():
    torch.manual_seed(0)
    model = build_dlmng(config="lite").eval()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.1)  # make every layer matter, the heads included
    image, seg, motion, trimap = inputs(1, 45, 61)
    prior = prior_of(image, seg, trimap)
    with torch.no_grad():
        plain = model(image, seg, motion, trimap, prior=prior)["alpha"]
        fast = model.to(memory_format=torch.channels_last)(image, seg, motion, trimap, prior=prior)["alpha"]
    assert torch.allclose(plain, fast, atol=1e-5)


def _randomised(model):
    """Every parameter and BatchNorm statistic non-trivial, so that a wrong fold would show."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


def test_folding_batchnorm_removes_every_batchnorm_and_keeps_the_outputs():
    from matting_studio.engine.learned import _fast_layout
    from matting_studio.engine.models.blocks import fold_batchnorm

    image, seg, motion, trimap = inputs(1, 45, 61)
    prior = prior_of(image, seg, trimap)
    for build, call in ((build_dlmng, lambda m: m(image, seg, motion, trimap, prior=prior)),
                        (build_ssrn, lambda m: m(image, motion, seg, seg))):
        model = _randomised(build(config="lite"))
        with torch.no_grad():
            plain = call(model)
            fast = call(_fast_layout(model))
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        for key in ("alpha", "foreground"):
            assert torch.allclose(plain[key], fast[key], atol=1e-5), key
    with pytest.raises(ValueError):
        fold_batchnorm(build_dlmng(config="lite").train())


@pytest.mark.parametrize("size", [(33, 47), (96, 128)])
def test_ssrn_and_discriminator_shapes(size):
    image, seg, motion, _ = inputs(2, *size)
    out = build_ssrn(config="lite").eval()(image, motion, seg, seg)
    assert out["alpha"].shape == (2, 1, *size) and out["foreground"].shape == (2, 3, *size)
    assert out["alpha"].min() >= 0 and out["alpha"].max() <= 1
    logits = build_discriminator(config="lite")(image)
    assert logits.shape[:2] == (2, 1) and logits.shape[2] >= size[0] // 16


def test_paper_size_has_256_channel_encoders():
    model = build_dlmng(config="paper")
    assert model.config.guide_width == 256 and model.config.widths[-1] == 256 and model.config.combinator == 64
    assert model.comb_seg[0].out_channels == 64


@pytest.mark.parametrize("builder", ["dlmng", "ssrn", "disc"])
def test_gradients_reach_every_parameter(builder):
    torch.manual_seed(1)
    image, seg, motion, trimap = inputs(2, 40, 48)
    if builder == "dlmng":
        model = build_dlmng(config="lite")
        out = model(image, seg, motion, None, prior=prior_of(image, seg))
        # zero-initialised heads: one step with a non-zero head so that every layer gets a gradient
        loss = sum(o.sum() for o in out.values())
    elif builder == "ssrn":
        model = build_ssrn(config="lite")
        out = model(image, motion, seg, seg)
        loss = sum(o.sum() for o in out.values())
    else:
        model = build_discriminator(config="lite")
        loss = model(image).sum()
    loss.backward()
    heads = [n for n, _ in model.named_parameters() if "head" in n]
    for name, p in model.named_parameters():
        assert p.grad is not None, name
    # heads start at zero (identity residual), so layers before them get no signal at step 0 — but the head does
    if heads:
        assert any(p.grad.abs().sum() > 0 for n, p in model.named_parameters() if "head" in n)
    else:
        assert all(p.grad.abs().sum() > 0 for p in model.parameters())


def test_gradients_flow_through_the_whole_dlmng_after_one_step():
    torch.manual_seed(2)
    model = build_dlmng(config="lite")
    image, seg, motion, _ = inputs(2, 32, 32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    prior = prior_of(image, seg)
    first = model(image, seg, motion, prior=prior)
    (first["alpha"].mean() + first["foreground"].mean()).backward()
    opt.step()
    opt.zero_grad()
    out = model(image, seg, motion, prior=prior)
    (out["alpha"].mean() + out["foreground"].mean()).backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not dead, dead


def test_state_dict_round_trip_and_load_report(tmp_path):
    model = build_dlmng(config="lite").eval()
    path = tmp_path / "w.pt"
    torch.save({"model": {"module." + k: v for k, v in model.state_dict().items()}, "size": "lite"}, path)
    again = build_dlmng(config="lite", weights=path).eval()
    image, seg, motion, trimap = inputs(1, 32, 40)
    prior = prior_of(image, seg, trimap)
    with torch.no_grad():
        a, b = model(image, seg, motion, trimap, prior=prior), again(image, seg, motion, trimap, prior=prior)
    assert torch.equal(a["alpha"], b["alpha"]) and torch.equal(a["foreground"], b["foreground"])
    report = load_weights(build_dlmng(config="lite"), path)
    assert report.matched == len(model.state_dict()) and not report.missing


def test_weights_errors(tmp_path):
    with pytest.raises(WeightsError):
        build_dlmng(config="paper", weights=build_dlmng(config="lite").state_dict())
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError):
        build_dlmng(weights=bad)
    with pytest.raises(WeightsError):
        build_dlmng(config="huge")


def test_tiny_overfit_lowers_the_loss():
    from matting_studio.training.losses import dlmng_loss

    torch.manual_seed(3)
    h = w = 32
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    alpha = ((16 - torch.hypot(yy - 15.5, xx - 15.5)) / 4 + 0.5).clamp(0, 1)[None, None].repeat(2, 1, 1, 1)
    alpha[1] = alpha[1].flip(-1) ** 2
    fg = torch.tensor([0.9, 0.3, 0.2]).view(1, 3, 1, 1).expand(2, 3, h, w)
    bg = torch.tensor([0.1, 0.4, 0.8]).view(1, 3, 1, 1).expand(2, 3, h, w)
    image = alpha * fg + (1 - alpha) * bg
    batch = {"image": image, "alpha": alpha, "fg": fg, "bg": bg, "soft_seg": (alpha > 0.5).float(),
             "motion": image.mean(1, keepdim=True).repeat(1, 4, 1, 1), "trimap": torch.full_like(alpha, 0.5),
             "unknown": torch.ones_like(alpha)}
    model = build_dlmng(config="lite")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    prior = prior_of(batch["image"], batch["soft_seg"])
    losses = []
    for _ in range(80):
        out = model(batch["image"], batch["soft_seg"], batch["motion"], None, prior=prior)
        loss = dlmng_loss(out, batch)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0], losses


def test_predict_alpha_full_resolution_and_known_pixels():
    rng = np.random.default_rng(0)
    image = rng.random((150, 220, 3), dtype=np.float32)
    soft = np.zeros((150, 220), np.float32)
    soft[40:110, 60:160] = 1
    trimap = np.full((150, 220), 0.5, np.float32)
    trimap[:30] = 0
    trimap[60:90, 90:130] = 1
    model = build_dlmng(config="lite").eval()
    alpha, fg = predict_alpha(model, image, soft, trimap, ssrn=build_ssrn().eval(), working_size=96)
    assert alpha.shape == (150, 220) and fg.shape == (150, 220, 3)
    assert alpha.dtype == np.float32 and 0 <= alpha.min() and alpha.max() <= 1
    assert np.all(alpha[:30] == 0) and np.all(alpha[60:90, 90:130] == 1)


def test_full_resolution_work_in_the_band_only_matches_the_whole_image_upsampling():
    """At a working size below the image, alpha and colour are brought to full resolution at the unknown pixels
    only: there they are the whole-image upsampling's values; elsewhere alpha is the trimap and colour the image."""
    import cv2

    from matting_studio.core.guided_filter import guided_upsample
    from matting_studio.engine.models.infer import _full_resolution_in_band

    rng = np.random.default_rng(1)
    image = rng.random((120, 180, 3), dtype=np.float32)
    small = cv2.resize(image, (60, 40), interpolation=cv2.INTER_AREA)
    alpha_low = rng.random((40, 60), dtype=np.float32)
    fg_low = np.clip(small + rng.normal(0, 0.05, small.shape).astype(np.float32), 0, 1)
    trimap = np.full((120, 180), 0.5, np.float32)
    trimap[:40], trimap[80:] = 0.0, 1.0
    alpha, fg = _full_resolution_in_band(image, small, trimap, alpha_low, fg_low)
    band = trimap == 0.5
    np.testing.assert_allclose(alpha[band], guided_upsample(alpha_low, image, eps=1e-5)[band], atol=1e-5)
    resize = lambda a: cv2.resize(a, (180, 120), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(fg[band], np.clip(image + resize(fg_low) - resize(small), 0, 1)[band], atol=1e-5)
    assert np.array_equal(alpha[~band], trimap[~band]) and np.array_equal(fg[~band], image[~band])


def test_untrained_ssrn_returns_the_coarse_alpha_and_the_image():
    """SSRN's last layer starts at zero and its correction is additive, so before training it passes DLMN-G's
    alpha through exactly, 0 and 1 included (a logit residual could not)."""
    image, seg, motion, _ = inputs(1, 45, 61)
    coarse = torch.rand(1, 1, 45, 61)
    coarse[..., :10, :] = 0.0
    coarse[..., -10:, :] = 1.0
    with torch.no_grad():
        out = build_ssrn(config="lite").eval()(image, motion, seg, coarse)
    assert torch.equal(out["alpha"], coarse) and torch.equal(out["foreground"], image)


def test_widen_inputs_pads_new_input_channels_with_zeros_so_the_result_is_unchanged():
    from torch import nn

    from matting_studio.engine.models.loading import widen_inputs

    torch.manual_seed(0)
    old = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 1))
    new = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 1))
    state, widened = widen_inputs(old.state_dict(), new)
    assert widened == ["0.weight"]
    load_weights(new, state)
    x = torch.rand(1, 2, 9, 11)
    extra = torch.rand(1, 1, 9, 11)  # whatever the new channel holds, it has no effect yet
    assert torch.allclose(old(x), new(torch.cat([x, extra], 1)), atol=1e-6)
    with pytest.raises(WeightsError):
        load_weights(new, old.state_dict())  # without widening, a clear error
