"""The known-colour prior: propagated colours, projected alpha, exact known pixels."""

from __future__ import annotations

import numpy as np
import torch

from matting_studio.engine.models import build_dlmng
from matting_studio.engine.models.colour_prior import colour_posterior, colour_prior, matting_prior, push_pull
from matting_studio.engine.models.infer import predict_alpha, unknown_box


def two_colour_composite(h=64, w=96):
    """Red foreground over blue background with a linear alpha ramp in the middle third of the columns."""
    alpha = np.clip((np.arange(w, dtype=np.float32) - w / 3) / (w / 3), 0, 1)[None].repeat(h, 0)
    fg, bg = np.array([0.9, 0.1, 0.1], np.float32), np.array([0.1, 0.2, 0.8], np.float32)
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    trimap = np.where(alpha <= 0, 0.0, np.where(alpha >= 1, 1.0, 0.5)).astype(np.float32)
    return image.astype(np.float32), alpha, trimap, fg, bg


def as_tensors(image, trimap):
    x = torch.from_numpy(image).permute(2, 0, 1)[None]
    t = torch.from_numpy(trimap)[None, None]
    return x, (t > 0.75).float(), (t < 0.25).float()


def test_push_pull_fills_unknown_pixels_from_the_known_ones():
    values = torch.zeros(1, 3, 40, 40)
    values[..., :20] = torch.tensor([0.2, 0.4, 0.6]).view(1, 3, 1, 1)
    weights = torch.zeros(1, 1, 40, 40)
    weights[..., :20] = 1
    filled = push_pull(values, weights)
    assert torch.allclose(filled, values[..., :1].expand_as(filled), atol=1e-5)


def test_push_pull_with_no_weight_returns_the_mean_colour():
    values = torch.rand(1, 3, 17, 23)
    filled = push_pull(values, torch.zeros(1, 1, 17, 23))
    assert torch.allclose(filled, values.mean(dim=(-2, -1), keepdim=True).expand_as(filled), atol=1e-6)


def test_prior_recovers_alpha_and_colours_of_a_two_colour_composite():
    image, alpha, trimap, fg, bg = two_colour_composite()
    prior = colour_prior(*as_tensors(image, trimap))[0].numpy()
    unknown = trimap == 0.5
    assert np.allclose(prior[:3].transpose(1, 2, 0)[unknown], fg, atol=1e-4)
    assert np.allclose(prior[3:6].transpose(1, 2, 0)[unknown], bg, atol=1e-4)
    # the ε regulariser shrinks alpha by |F−B|² / (|F−B|² + ε) only
    shrink = ((fg - bg) ** 2).sum() / (((fg - bg) ** 2).sum() + 1e-2)
    assert np.allclose(prior[6][unknown], alpha[unknown] * shrink, atol=1e-3)
    assert np.all(prior[6][trimap == 1] == 1) and np.all(prior[6][trimap == 0] == 0)


def test_unknown_box_grows_by_the_margin_and_is_empty_without_unknown_pixels():
    trimap = np.zeros((50, 60), np.float32)
    assert unknown_box(trimap, 8) == (0, 0, 0, 0)
    trimap[20:25, 30:33] = 0.5
    assert unknown_box(trimap, 8) == (12, 33, 22, 41)
    assert unknown_box(trimap, 100) == (0, 50, 0, 60)


def test_untrained_lite_dlmng_returns_its_cue_mixture_and_cropping_changes_nothing():
    """With a zero last layer DLMN-G lite outputs its initial mixture of the prior's alpha cues exactly,
    computed on the whole image; running the network only on the unknown box of a larger canvas
    changes nothing there."""
    from matting_studio.engine.models.dlmng import CUE_BIAS, CUES

    image, _, trimap, _, _ = two_colour_composite(64, 96)
    canvas = np.zeros((160, 200, 3), np.float32) + np.array([0.1, 0.2, 0.8], np.float32)
    canvas[40:104, 50:146] = image
    canvas_trimap = np.zeros((160, 200), np.float32)
    canvas_trimap[40:104, 50:146] = trimap
    model = build_dlmng(config="lite").eval()
    alpha, fg = predict_alpha(model, canvas, canvas_trimap, canvas_trimap, working_size=1000)
    weights = torch.softmax(torch.tensor(CUE_BIAS), 0).numpy()
    prior = np.tensordot(weights, matting_prior(canvas, canvas_trimap)[list(CUES)], axes=1)
    unknown = canvas_trimap == 0.5
    assert np.allclose(alpha[unknown], prior[unknown], atol=1e-4)
    assert np.all(alpha[canvas_trimap == 0] == 0) and np.all(alpha[canvas_trimap == 1] == 1)
    outside = np.ones_like(unknown)
    outside[8:136, 18:178] = False  # beyond the 32-px context the foreground is the image itself
    assert np.array_equal(fg[outside], canvas[outside])


def test_a_trimap_without_unknown_pixels_is_its_own_answer():
    trimap = np.zeros((40, 50), np.float32)
    trimap[10:30, 10:40] = 1
    image = np.random.default_rng(1).random((40, 50, 3), dtype=np.float32)
    alpha, fg = predict_alpha(build_dlmng(config="lite").eval(), image, trimap, trimap)
    assert np.array_equal(alpha, trimap) and np.array_equal(fg, image)


def test_matting_prior_is_a_coarse_closed_form_alpha_with_propagated_colours():
    """Channel 6 is closed-form matting solved at reduced scale: on a smooth two-colour ramp it is close to the
    truth (much closer than a hard 0/1 guess), known pixels exact; channels 0–5 are :func:`colour_prior`'s,
    channel 7 the colour posterior."""
    image, alpha, trimap, fg, bg = two_colour_composite(120, 180)
    prior = matting_prior(image, trimap, solve_pixels=2000)  # force the downscaled solve
    assert prior.shape == (10, 120, 180) and prior.dtype == np.float32
    assert prior.min() >= 0 and prior.max() <= 1
    unknown = trimap == 0.5
    assert np.all(prior[6][trimap == 1] == 1) and np.all(prior[6][trimap == 0] == 0)
    err = np.abs(prior[6] - alpha)[unknown].mean()
    hard = np.abs((alpha > 0.5) - alpha)[unknown].mean()
    assert err < 0.05 and err < 0.25 * hard, (err, hard)
    with torch.no_grad():
        colours = colour_prior(*as_tensors(image, trimap))[0, :6].numpy()
        projected = colour_prior(*as_tensors(image, trimap))[0, 6].numpy()
    assert np.array_equal(prior[:6], colours)
    assert np.array_equal(prior[7], colour_posterior(image, trimap))
    assert np.array_equal(prior[8], projected)
    from matting_studio.classical.knn_band import knn_band_alpha

    assert np.array_equal(prior[9], knn_band_alpha(image, trimap, prior[6]))  # KNN on the band, from channel 6


def test_matting_prior_without_unknown_pixels_is_the_trimap():
    trimap = np.zeros((30, 40), np.float32)
    trimap[5:20, 5:30] = 1
    image = np.random.default_rng(0).random((30, 40, 3), dtype=np.float32)
    assert np.array_equal(matting_prior(image, trimap)[6], trimap)


def test_colour_posterior_separates_thin_structures_by_colour_and_is_neutral_on_unseen_colours():
    """Thin green stripes over a blue background, far from any known pixel: the global colour model still says
    foreground on the stripes and background between them; a colour seen in neither region gets 0.5."""
    h, w = 60, 90
    fg, bg = np.float32([0.2, 0.8, 0.2]), np.float32([0.1, 0.2, 0.9])
    alpha = np.zeros((h, w), np.float32)
    alpha[:, 12:78:6] = 1.0  # one-pixel stripes, all inside the unknown region
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    trimap = np.full((h, w), 0.5, np.float32)
    trimap[:, :10], trimap[:, -10:] = 1.0, 0.0
    image[:, :10] = fg
    image[30, 40] = [0.9, 0.1, 0.9]  # a colour in neither region
    post = colour_posterior(image, trimap)
    unknown = trimap == 0.5
    stripes = unknown & (alpha == 1)
    stripes[30, 40] = False
    gaps = unknown & (alpha == 0)
    gaps[30, 40] = False
    assert post[stripes].min() > 0.99 and post[gaps].max() < 0.01
    assert post[30, 40] == 0.5
    assert np.all(post[trimap == 1] == 1) and np.all(post[trimap == 0] == 0)


def test_both_alpha_channels_keep_the_holes_of_a_fine_mesh_solved_at_reduced_scale():
    """A wire mesh (bars 2 px, holes 4 px) in front of a plain background, all of it unknown. The full-resolution
    projected channel keeps the holes; so does the closed-form channel, solved at 40 % scale, because its
    edge-aware upsampling fits alpha to the photo's colours on the coarse solve's own grid."""
    h, w = 96, 128
    yy, xx = np.mgrid[0:h, 0:w]
    mesh = (((yy % 6) < 2) | ((xx % 6) < 2)).astype(np.float32)
    alpha = np.zeros((h, w), np.float32)
    alpha[16:80, 24:104] = mesh[16:80, 24:104]
    alpha[:, 56:72] = np.where((yy[:, 56:72] >= 8) & (yy[:, 56:72] < 88), 1.0, alpha[:, 56:72])  # a solid post
    fg, bg = np.array([0.85, 0.8, 0.7], np.float32), np.array([0.15, 0.25, 0.45], np.float32)
    image = (alpha[..., None] * fg + (1 - alpha[..., None]) * bg).astype(np.float32)
    trimap = np.zeros((h, w), np.float32)
    trimap[8:88, 16:112] = 0.5
    trimap[20:76, 60:68] = 1.0
    prior = matting_prior(image, trimap, solve_pixels=1500)  # 96x80 unknown box -> solved at ~40 %
    unknown = trimap == 0.5
    coarse = np.abs(prior[6] - alpha)[unknown].mean()
    projected = np.abs(prior[8] - alpha)[unknown].mean()
    assert projected < 0.05 and coarse < 0.05, (projected, coarse)
    holes = np.zeros_like(unknown)
    holes[16:80, 24:104] = alpha[16:80, 24:104] == 0
    for channel in (prior[6], prior[8]):
        assert channel[holes].mean() < 0.1 and channel[unknown & (alpha == 1)].mean() > 0.9


def test_colour_posterior_is_local_a_colour_is_foreground_where_it_is_foreground_nearby():
    """Grey is the subject's colour at the left end of a long strip (beside a blue background) and the background's
    at the right end (beside a green subject): unknown grey pixels follow their neighbourhood, where the global
    model (one tile for the whole image) says 0.5."""
    h, w = 64, 768
    grey, blue, green = np.float32([0.5, 0.5, 0.5]), np.float32([0.1, 0.2, 0.9]), np.float32([0.2, 0.8, 0.2])
    image = np.broadcast_to(grey, (h, w, 3)).copy()
    trimap = np.full((h, w), 0.5, np.float32)
    trimap[:, :96] = 1.0  # grey subject ...
    image[:, 96:128], trimap[:, 96:128] = blue, 0.0  # ... on blue
    image[:, -128:-96], trimap[:, -128:-96] = green, 1.0  # green subject ...
    trimap[:, -96:] = 0.0  # ... on grey
    post = colour_posterior(image, trimap)
    unknown = trimap == 0.5
    assert post[:, 128:192].min() > 0.9 and post[:, -192:-128].max() < 0.1
    assert np.all(np.diff(post[:, 128:-128].mean(0)) <= 1e-6)  # interpolated between tiles: no jumps back and forth
    glob = colour_posterior(image, trimap, tile=10**6)
    assert np.allclose(glob[unknown], 0.5, atol=0.01)
    assert np.all(post[trimap == 1] == 1) and np.all(post[trimap == 0] == 0)


def test_colour_posterior_falls_back_to_the_global_model_far_from_known_pixels():
    """An unknown region much larger than the tiles: in its middle no known pixel is near, and the posterior is the
    global colour model's (foreground green, background blue)."""
    h, w = 600, 600
    green, blue = np.float32([0.2, 0.8, 0.2]), np.float32([0.1, 0.2, 0.9])
    image = np.broadcast_to(blue, (h, w, 3)).copy()
    image[:, :300] = green
    trimap = np.full((h, w), 0.5, np.float32)
    trimap[:20, :300], trimap[:20, 300:] = 1.0, 0.0  # known pixels only along the top edge
    post = colour_posterior(image, trimap)
    middle = post[400:500]
    assert middle[:, :300].min() > 0.99 and middle[:, 300:].max() < 0.01


def test_the_networks_box_has_sides_in_steps_so_a_batch_sees_few_input_shapes():
    from matting_studio.engine.models.infer import CONTEXT, SHAPE_STEP, network_box

    rng = np.random.default_rng(0)
    shapes = set()
    for _ in range(200):
        trimap = np.zeros((300, 512), np.float32)
        y, x = rng.integers(0, 250), rng.integers(0, 450)
        trimap[y:y + rng.integers(1, 50), x:x + rng.integers(1, 60)] = 0.5
        y0, y1, x0, x1 = network_box(trimap)
        unknown = unknown_box(trimap, CONTEXT)
        assert y0 <= unknown[0] and unknown[1] <= y1 and x0 <= unknown[2] and unknown[3] <= x1  # all it had
        assert 0 <= y0 and y1 <= 300 and 0 <= x0 and x1 <= 512
        assert (y1 - y0) % SHAPE_STEP == 0 or y1 - y0 == 300
        shapes.add((y1 - y0, x1 - x0))
    assert len(shapes) <= 3 * 3  # sides 64, 128 or the whole 300 / 64, 128, 192 (at most 60 + 2 x 32 wide)
    assert network_box(np.zeros((20, 20), np.float32)) is None
