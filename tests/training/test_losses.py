"""Losses: zero at the optimum, hand-checked values, gradients."""

from __future__ import annotations

import torch

from matting_studio.training import losses


def test_alpha_l1_values_and_mask():
    pred = torch.tensor([[[[0.0, 0.5], [1.0, 1.0]]]])
    gt = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    assert torch.isclose(losses.alpha_l1(pred, gt), torch.tensor(1.5 / 4))
    mask = torch.tensor([[[[0.0, 1.0], [0.0, 0.0]]]])
    assert torch.isclose(losses.alpha_l1(pred, gt, mask), torch.tensor(0.5))


def test_alpha_mse_values_and_mask():
    pred = torch.tensor([[[[0.0, 0.5], [1.0, 1.0]]]])
    gt = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    assert torch.isclose(losses.alpha_mse(pred, gt), torch.tensor(1.25 / 4))
    mask = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])
    assert torch.isclose(losses.alpha_mse(pred, gt, mask), torch.tensor(1.25 / 2))


def test_dlmng_loss_has_a_squared_error_term_on_the_unknown_region():
    gt = torch.zeros(1, 1, 8, 8)
    fg, bg = torch.ones(1, 3, 8, 8), torch.zeros(1, 3, 8, 8)
    unknown = torch.zeros_like(gt)
    unknown[..., :4] = 1.0
    batch = {"image": bg, "alpha": gt, "fg": fg, "bg": bg, "unknown": unknown}
    pred = gt.clone()
    pred[..., 0, 0] = 1.0  # one large error inside the unknown region, 1 of its 32 pixels
    assert torch.isclose(losses.dlmng_loss({"alpha": pred, "foreground": fg}, batch)["mse"], torch.tensor(1 / 32))
    pred = gt.clone()
    pred[..., 0, 7] = 1.0  # outside it: not counted
    assert losses.dlmng_loss({"alpha": pred, "foreground": fg}, batch)["mse"] == 0


def test_zero_at_the_optimum_and_positive_elsewhere():
    torch.manual_seed(0)
    a = torch.rand(2, 1, 32, 32)
    fg, bg = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    image = a * fg + (1 - a) * bg
    assert losses.laplacian_pyramid_loss(a, a) == 0
    assert losses.composition_loss(a, fg, bg, image) < 1e-6
    assert losses.foreground_loss(fg, fg, a) == 0
    assert losses.laplacian_pyramid_loss(a.flip(-1), a) > 0
    batch = {"image": image, "alpha": a, "fg": fg, "bg": bg, "unknown": torch.ones_like(a)}
    terms = losses.dlmng_loss({"alpha": a, "foreground": fg}, batch)
    assert terms["total"] < 1e-5 and set(terms) >= {"alpha", "mse", "laplacian", "composition", "foreground", "total"}


def test_gan_losses_lsgan_values():
    ones, zeros = torch.ones(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    assert losses.gan_generator_loss(ones) == 0 and losses.gan_generator_loss(zeros) == 1
    d = losses.gan_discriminator_loss(ones, zeros)
    assert d["total"] == 0
    assert losses.gan_discriminator_loss(zeros, ones)["total"] == 1


def test_gradients_flow_through_losses():
    a = torch.rand(1, 1, 16, 16, requires_grad=True)
    fg = torch.rand(1, 3, 16, 16, requires_grad=True)
    teacher = {"alpha": torch.rand(1, 1, 16, 16)}
    terms = losses.ssrn_generator_loss({"alpha": a, "foreground": fg}, teacher, torch.rand(1, 3, 16, 16),
                                       torch.rand(1, 1, 2, 2, requires_grad=True))
    terms["total"].backward()
    assert a.grad.abs().sum() > 0 and fg.grad is not None


def test_dlmng_step_takes_the_configured_loss_weights():
    from matting_studio.engine.models import build_dlmng
    from matting_studio.training.steps import dlmng_step

    torch.manual_seed(0)
    h = w = 24
    alpha = torch.rand(2, 1, h, w)
    fg, bg = torch.rand(2, 3, h, w), torch.rand(2, 3, h, w)
    trimap = torch.full_like(alpha, 0.5)
    trimap[..., :4, :] = 0.0
    batch = {"image": alpha * fg + (1 - alpha) * bg, "alpha": alpha, "fg": fg, "bg": bg, "soft_seg": trimap,
             "motion": torch.rand(2, 4, h, w), "trimap": trimap, "unknown": (trimap == 0.5).float()}
    from matting_studio.engine.models.colour_prior import matting_prior_batch

    batch["prior"] = matting_prior_batch(batch["image"], trimap)
    model = build_dlmng(config="lite")
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # the step changes nothing: both see the same model
    plain = dlmng_step(model, frozen, batch, mode="trimap", loss_weights={"mse": 0.0})
    heavy = dlmng_step(model, frozen, batch, mode="trimap", loss_weights={"mse": 10.0})
    assert plain["mse"] > 0
    assert abs((heavy["total"] - plain["total"]) - 10.0 * plain["mse"]) < 1e-4

