"""KNN matting on the unknown band: known answers on composites, exact known pixels, agreement with plain KNN."""

from __future__ import annotations

import numpy as np

from matting_studio.classical.knn_band import knn_band_alpha


def disc_composite(h=60, w=80, seed=0):
    """A textured disc with a 4-px soft edge on a textured background, and a trimap banding the edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot(yy - h / 2, xx - w / 2)
    alpha = np.clip((20 - r) / 4 + 0.5, 0, 1).astype(np.float32)
    fg = np.float32([0.85, 0.3, 0.2]) + rng.normal(0, 0.02, (h, w, 3)).astype(np.float32)
    bg = np.float32([0.15, 0.35, 0.8]) + rng.normal(0, 0.02, (h, w, 3)).astype(np.float32)
    image = np.clip(alpha[..., None] * fg + (1 - alpha[..., None]) * bg, 0, 1).astype(np.float32)
    trimap = np.where(r < 14, 1.0, np.where(r > 27, 0.0, 0.5)).astype(np.float32)
    return image, alpha, trimap


def test_recovers_a_soft_edge_and_keeps_known_pixels_exact():
    image, alpha, trimap = disc_composite()
    out = knn_band_alpha(image, trimap)
    unknown = trimap == 0.5
    assert out.shape == alpha.shape and out.dtype == np.float32
    assert np.array_equal(out[~unknown], trimap[~unknown])
    assert np.abs(out - alpha)[unknown].mean() < 0.08  # a 0.5 guess would be 0.35 off on average
    assert np.abs(np.full_like(alpha, 0.5) - alpha)[unknown].mean() > 0.3


def test_close_to_plain_knn_matting_on_the_same_image():
    from matting_studio.classical import run_method

    image, alpha, trimap = disc_composite(seed=3)
    unknown = trimap == 0.5
    band = knn_band_alpha(image, trimap)
    plain = run_method("knn", image, trimap)
    assert np.abs(band - plain)[unknown].mean() < 0.05


def test_the_result_does_not_depend_much_on_the_start_and_is_deterministic():
    image, alpha, trimap = disc_composite(seed=1)
    a = knn_band_alpha(image, trimap, np.zeros_like(alpha))
    b = knn_band_alpha(image, trimap, np.ones_like(alpha))
    assert np.abs(a - b).mean() < 0.02
    assert np.array_equal(knn_band_alpha(image, trimap, seed=4), knn_band_alpha(image, trimap, seed=4))


def test_large_bands_are_solved_at_reduced_scale_and_stay_in_range():
    image, alpha, trimap = disc_composite(seed=2)
    out = knn_band_alpha(image, trimap, max_unknown=300)
    unknown = trimap == 0.5
    assert out.min() >= 0 and out.max() <= 1 and np.array_equal(out[~unknown], trimap[~unknown])
    assert np.abs(out - alpha)[unknown].mean() < 0.15


def test_trimaps_without_unknown_or_without_known_pixels_are_returned_as_is():
    image, _, _ = disc_composite()
    known = np.zeros(image.shape[:2], np.float32)
    known[10:20] = 1
    assert np.array_equal(knn_band_alpha(image, known), known)
    all_unknown = np.full(image.shape[:2], 0.5, np.float32)
    assert np.array_equal(knn_band_alpha(image, all_unknown), all_unknown)


def test_the_neighbour_queries_on_every_core_give_the_one_thread_result(monkeypatch):
    from matting_studio.classical import knn_band

    image, _, trimap = disc_composite(h=120, w=160, seed=2)
    monkeypatch.setattr(knn_band, "QUERY_WORKERS", 1)
    one = knn_band_alpha(image, trimap)
    monkeypatch.setattr(knn_band, "QUERY_WORKERS", -1)
    assert np.array_equal(knn_band_alpha(image, trimap), one)


def test_the_system_is_the_symmetrised_graph_reduced_to_the_unknown_pixels():
    """``_system`` against the textbook assembly: ``A`` (unknown → candidate links, repeats add up),
    ``W_UU = A_UU + A_UUᵀ``, ``D`` its row sums plus the links to known pixels, ``rhs = A_UK α_K``."""
    from scipy.sparse import coo_matrix

    from matting_studio.classical.knn_band import _system

    rng = np.random.default_rng(0)
    nu, n = 40, 70
    links = [rng.integers(0, n, (nu, 6)), rng.integers(0, n, (nu, 3))]
    alpha_known = rng.random(n - nu).astype(np.float32)
    rows = np.concatenate([np.repeat(np.arange(nu), nb.shape[1]) for nb in links])
    cols = np.concatenate([nb.ravel() for nb in links])
    a = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(nu, n)).tocsr()
    w_uu, a_uk = a[:, :nu] + a[:, :nu].T, a[:, nu:]
    degree = np.asarray(w_uu.sum(axis=1)).ravel() + np.asarray(a_uk.sum(axis=1)).ravel()
    matvec, rhs, got_degree = _system(links, nu, alpha_known)
    for _ in range(3):
        x = rng.random(nu)
        assert np.allclose(matvec(x), w_uu @ x)
    assert np.allclose(rhs, a_uk @ alpha_known.astype(np.float64))
    assert np.allclose(got_degree, degree)
