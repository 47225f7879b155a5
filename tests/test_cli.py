"""The command line end to end, in temporary folders: outputs, refusal to overwrite, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from matting_studio import __version__, cli
from matting_studio.core import imageio


@pytest.fixture
def toy(tmp_path, synthetic_composite):
    """image.png + trimap.png of the synthetic composite, and a small dataset folder around them."""
    s = synthetic_composite
    imageio.save_png(tmp_path / "toy.png", s["image"])
    imageio.save_png(tmp_path / "toy_trimap.png", s["trimap"])
    ds = tmp_path / "ds"
    for name, arr in (("image", s["image"]), ("alpha", s["alpha"]), ("trimap", s["trimap"])):
        imageio.save_png(ds / name / "a.png", arr)
        imageio.save_png(ds / name / "b.png", arr[:, ::-1].copy())
    return tmp_path


def run(args, capsys):
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out
    code, out, _ = run([], capsys)
    assert code == 0 and "cutout" in out


def test_wants_cli_separates_subcommands_from_image_paths():
    assert cli.wants_cli(["cutout", "a.jpg"])
    assert cli.wants_cli(["--version"])
    assert not cli.wants_cli(["photo.jpg"])
    assert not cli.wants_cli([])


def test_cutout_with_trimap_writes_rgba_matching_the_known_alpha(toy, capsys, synthetic_composite):
    out = toy / "cut.png"
    code, stdout, err = run(["cutout", str(toy / "toy.png"), "--trimap", str(toy / "toy_trimap.png"),
                             "--method", "cf", "-o", str(out)], capsys)
    assert code == 0, err
    loaded = imageio.load_image(out)
    assert loaded.alpha is not None
    assert np.abs(loaded.alpha - synthetic_composite["alpha"]).mean() < 0.03


def test_a_black_and_white_photo_with_a_trimap_is_cut_out_by_closed_form_and_the_cli_says_so(toy, capsys,
                                                                                           synthetic_composite):
    from matting_studio.core.motion import grayscale

    gray = np.repeat(grayscale(synthetic_composite["image"])[..., None], 3, axis=2)
    imageio.save_png(toy / "gray.png", gray)
    code, stdout, err = run(["cutout", str(toy / "gray.png"), "--trimap", str(toy / "toy_trimap.png"),
                             "-o", str(toy / "gray_cut.png")], capsys)
    assert code == 0, err
    assert "(cf," in stdout and "Black-and-white photo with a trimap" in err
    code, stdout, err = run(["cutout", str(toy / "gray.png"), "--trimap", str(toy / "toy_trimap.png"),
                             "--method", "dlmng", "-o", str(toy / "gray_dlmng.png")], capsys)
    assert code == 0 and "(dlmng," in stdout and "Black-and-white" not in err


def test_cutout_refuses_to_overwrite_and_writes_nothing_on_bad_input(toy, capsys):
    out = toy / "cut.png"
    out.write_bytes(b"keep me")
    code, _, err = run(["cutout", str(toy / "toy.png"), "--trimap", str(toy / "toy_trimap.png"), "-o", str(out)],
                       capsys)
    assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"keep me"

    code, _, err = run(["cutout", str(toy / "missing.png"), "-o", str(toy / "x.png")], capsys)
    assert code == 2 and "missing.png" in err and len(err.strip().splitlines()) == 1
    assert not (toy / "x.png").exists()

    bad = toy / "notimage.png"
    bad.write_text("hello")
    code, _, err = run(["cutout", str(bad), "--trimap", str(toy / "toy_trimap.png"), "-o", str(toy / "y.png")],
                       capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (toy / "y.png").exists()


def test_cutout_refuses_to_write_onto_its_input(toy, capsys):
    code, _, err = run(["cutout", str(toy / "toy.png"), "--trimap", str(toy / "toy_trimap.png"),
                        "-o", str(toy / "toy.png"), "--force"], capsys)
    assert code == 2 and "input" in err


def test_cutout_wrong_trimap_size_is_one_line(toy, capsys):
    imageio.save_png(toy / "small.png", np.full((10, 10), 0.5, np.float32))
    code, _, err = run(["cutout", str(toy / "toy.png"), "--trimap", str(toy / "small.png"),
                        "-o", str(toy / "z.png")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (toy / "z.png").exists()


def test_cutout_folder_with_trimap_folder(toy, capsys):
    out = toy / "outdir"
    code, _, err = run(["cutout", str(toy / "ds" / "image"), "--trimap", str(toy / "ds" / "trimap"),
                        "--method", "knn", "-o", str(out)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]


def test_unknown_method_and_option_are_one_line_errors(toy, capsys):
    code, _, err = run(["cutout", str(toy / "toy.png"), "--method", "nope"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run(["evaluate", str(toy / "ds"), "--methods", "cf,zzz"], capsys)
    assert code == 2 and "zzz" in err


def test_evaluate_prints_table_and_writes_json(toy, capsys):
    target = toy / "scores.json"
    code, out, err = run(["evaluate", str(toy / "ds"), "--methods", "cf,knn", "--json", str(target)], capsys)
    assert code == 0, err
    rows = json.loads(target.read_text())
    assert len(rows) == 4
    assert set(rows[0]) == {"image", "method", "SAD", "MSE", "Grad", "Conn", "seconds"}
    assert all(r["SAD"] >= 0 for r in rows)
    assert "MEAN" in out
    # a second run must not overwrite the JSON silently
    code, _, err = run(["evaluate", str(toy / "ds"), "--methods", "cf", "--json", str(target)], capsys)
    assert code == 2 and "--force" in err


@pytest.mark.parametrize("bad, field", [(["--steps", "0"], "'steps'"), (["--synthetic", "-0.1"], "'synthetic_fraction'"),
                                        (["--mse-weight", "-1"], "'mse_weight'"), (["--ema", "1"], "'ema'"),
                                        (["--size", "huge"], "size"), (["--lookalike", "0.3"], "--lookalike")])
def test_train_rejects_bad_options_in_one_line_before_training(toy, capsys, bad, field):
    out = toy / "run"
    code, _, err = run(["train", "dlmng", "--data", str(toy / "ds"), "--backgrounds", str(toy / "ds" / "image"),
                        "--steps", "2", "--out", str(out), *bad], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and field in err, err
    assert not out.exists()


def test_train_reads_a_recipe_and_the_command_line_overrides_it(toy, capsys, monkeypatch):
    import json as json_module

    from matting_studio import commands

    seen = []
    monkeypatch.setattr("matting_studio.training.trainer.run_training", lambda config, on_event=None: seen.append(config))
    recipe = toy / "recipe.json"
    recipe.write_text(json_module.dumps({"_about": "a comment", "steps": 7, "lr": 0.01, "crop": 64,
                                         "augmentation": {"lookalike": 0.5}}))
    code, _, err = run(["train", "dlmng", "--config", str(recipe), "--data", str(toy / "ds"), "--backgrounds",
                        str(toy / "ds" / "image"), "--out", str(toy / "run"), "--lr", "0.002"], capsys)
    assert code == 0, err
    (config,) = seen
    assert (config.steps, config.lr, config.crop) == (7, 0.002, 64)
    assert config.augment_config().lookalike == 0.5 and config.data_dir == toy / "ds"
    assert commands.TRAIN_FIELDS["synthetic"] == "synthetic_fraction"


@pytest.mark.parametrize("text, word", [("{not json", "JSON"), ('{"stepz": 3}', "stepz"), ("[1, 2]", "object"),
                                        ('{"augmentation": {"sparkle": 1}}', "sparkle")])
def test_train_refuses_a_bad_recipe_in_one_line(toy, capsys, text, word):
    recipe = toy / "bad.json"
    recipe.write_text(text)
    code, _, err = run(["train", "dlmng", "--config", str(recipe), "--data", str(toy / "ds"), "--backgrounds",
                        str(toy / "ds" / "image"), "--out", str(toy / "run"), "--steps", "2"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and word in err, err
    assert not (toy / "run").exists()


def test_the_shipped_recipe_is_a_valid_config():
    from pathlib import Path

    from matting_studio.training.config import TrainConfig, load_recipe

    recipe = load_recipe(Path(__file__).resolve().parents[1] / "models" / "dlmng-lite.recipe.json")
    config = TrainConfig.from_dict({**recipe, "model": "dlmng", "data_dir": None, "backgrounds_dir": ".",
                                    "out_dir": "run"})
    assert config.steps == recipe["steps"] and config.pool_per_stem > 0


def test_evaluate_bad_dataset(tmp_path, capsys):
    code, _, err = run(["evaluate", str(tmp_path)], capsys)
    assert code == 2 and "image/" in err


def test_compare_writes_a_sheet(toy, capsys):
    sheet = toy / "sheet.png"
    code, _, err = run(["compare", str(toy / "toy.png"), "--trimap", str(toy / "toy_trimap.png"),
                        "--methods", "cf,knn", "-o", str(sheet)], capsys)
    assert code == 0, err
    img = imageio.load_image(sheet)
    assert img.rgb.shape[0] > 64 and img.rgb.shape[1] > 4 * 64


@pytest.mark.slow
def test_console_script_runs_without_qt(toy):
    code = ("import sys; from matting_studio.__main__ import main; rc = main(['--version']) if False else 0; "
            "from matting_studio import cli; cli.main(['evaluate', sys.argv[1], '--methods', 'cf']); "
            "print('QT' if any(m.startswith('PySide6') for m in sys.modules) else 'NOQT')")
    done = subprocess.run([sys.executable, "-c", code, str(toy / "ds")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("NOQT")
    assert "Traceback" not in done.stderr


def test_gui_without_a_display_is_a_clear_message():
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "matting_studio"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "display" in done.stderr and "Traceback" not in done.stderr


# -- automatic mode: orientation, nothing found, fully confident ------------------------------------------

NO_SUBJECT_HINT = "no subject found; try --segmenter object or draw a trimap"
INVERSE = {6: 8, 8: 6}  # every other EXIF orientation undoes itself


def save_with_orientation(path, upright, orientation):
    """Store ``upright`` as a camera does for EXIF ``orientation`` (so a viewer shows it upright)."""
    from PIL import Image

    stored = imageio.orient_array(upright, INVERSE.get(orientation, orientation))
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(np.ascontiguousarray(imageio.to_uint8(stored))).save(path, exif=exif)


def test_all_eight_exif_orientations_give_the_same_cut_out(tmp_path, capsys, synthetic_composite):
    folder = tmp_path / "phone"
    folder.mkdir()
    for orientation in range(1, 9):
        save_with_orientation(folder / f"o{orientation}.png", synthetic_composite["image"], orientation)
    code, out, err = run(["cutout", str(folder), "-o", str(tmp_path / "cut"), "--segmenter", "object",
                          "--method", "cf", "--fast"], capsys)
    assert code == 0, err
    cuts = [imageio.load_image(tmp_path / "cut" / f"o{o}.png") for o in range(1, 9)]
    assert cuts[0].alpha.mean() > 0.1
    for cut in cuts[1:]:
        assert np.array_equal(cut.rgb, cuts[0].rgb) and np.array_equal(cut.alpha, cuts[0].alpha)


def test_a_sideways_portrait_is_cut_out_as_the_upright_one_turned(tmp_path, capsys, shared_data):
    """The issue's case: the same photo tagged EXIF 6 or 8 (its subject on its side once oriented)."""
    from PIL import Image

    from matting_studio.engine import weights

    try:
        weights.ensure_weights(weights.SELFIE.name)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"the selfie model cannot be obtained here: {exc}")
    photo = Image.open(shared_data / "portraits" / "image" / "p_51c916fc.jpg").convert("RGB")
    photo.thumbnail((240, 240))
    alphas = {}
    for orientation in (1, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        photo.save(tmp_path / f"o{orientation}.jpg", exif=exif, quality=95)
        code, _, err = run(["cutout", str(tmp_path / f"o{orientation}.jpg"), "--method", "cf", "--fast"], capsys)
        assert code == 0, err
        alphas[orientation] = imageio.load_image(tmp_path / f"o{orientation}_cutout.png").alpha
    assert alphas[1].mean() > 0.2
    for orientation in (6, 8):
        turned = imageio.orient_array(alphas[1], orientation)
        assert np.abs(alphas[orientation] - turned).mean() < 0.01  # measured 0.0003


def test_no_subject_found_is_a_clear_message_and_writes_nothing(toy, capsys, monkeypatch):
    from matting_studio.engine.pipeline import Pipeline

    monkeypatch.setattr(Pipeline, "segment", lambda self, image, **kw: np.zeros(image.shape[:2], np.float32))
    code, _, err = run(["cutout", str(toy / "toy.png"), "--method", "cf", "-o", str(toy / "cut.png")], capsys)
    assert code == 2 and NO_SUBJECT_HINT in err and len(err.strip().splitlines()) == 1
    assert not (toy / "cut.png").exists()
    code, out, err = run(["cutout", str(toy / "ds" / "image"), "--method", "cf", "-o", str(toy / "cuts")], capsys)
    assert code == 1 and err.count(NO_SUBJECT_HINT) == 2 and "2 failed" in out
    assert not (toy / "cuts").exists() or not list((toy / "cuts").iterdir())


def test_a_fully_confident_mask_is_cut_out(toy, capsys, monkeypatch, synthetic_composite):
    from matting_studio.engine.pipeline import Pipeline

    monkeypatch.setattr(Pipeline, "segment", lambda self, image, **kw: np.ones(image.shape[:2], np.float32))
    code, _, err = run(["cutout", str(toy / "toy.png"), "--method", "cf", "-o", str(toy / "cut.png")], capsys)
    assert code == 0, err
    cut = imageio.load_image(toy / "cut.png")
    assert (cut.alpha == 1).all() and np.abs(cut.rgb - synthetic_composite["image"]).max() <= 1 / 255


# -- batch reruns ---------------------------------------------------------------------------------------


def test_a_batch_rerun_skips_the_outputs_that_exist(toy, capsys):
    from matting_studio.core import atomic

    out = toy / "outdir"
    out.mkdir()
    (out / "a.png").write_bytes(b"keep me")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = out / f".b.png.{int(dead.stdout)}-0123abcd.tmp"  # left by a cutout killed while writing b.png
    stale.write_bytes(b"partial")
    args = ["cutout", str(toy / "ds" / "image"), "--trimap", str(toy / "ds" / "trimap"), "--method", "cf", "-o", str(out)]
    code, stdout, err = run(args, capsys)
    assert code == 0, err
    assert "1 done, 1 to go" in stdout and "wrote 1 cut-out(s)" in stdout
    assert (out / "a.png").read_bytes() == b"keep me" and imageio.load_image(out / "b.png").alpha is not None
    assert not stale.exists() and not [p for p in out.iterdir() if atomic.TEMP_NAME.match(p.name)]
    code, stdout, _ = run(args, capsys)
    assert code == 0 and "2 done, 0 to go" in stdout
    code, stdout, _ = run(args + ["--force"], capsys)
    assert code == 0 and "done," not in stdout and imageio.load_image(out / "a.png").alpha is not None


def test_cutout_fetches_the_selfie_model_first_with_progress_and_stops_cleanly_when_it_cannot(toy, capsys,
                                                                                                monkeypatch):
    from matting_studio.core.errors import WeightsError
    from matting_studio.engine import weights

    def failing_fetch(name, *, progress=None, allow_fetch=True):  # 40 polls of a download, then no network
        for i in range(40):
            progress(0.05 + 0.75 * i / 39, f"Downloading {i}")
        raise WeightsError("pip could not download mediapipe==0.10.21: no network.")

    monkeypatch.setattr(weights, "is_available", lambda name: name != weights.SELFIE.name)
    monkeypatch.setattr(weights, "ensure_weights", failing_fetch)
    code, out, err = run(["cutout", str(toy / "toy.png"), "-o", str(toy / "out.png")], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and not (toy / "out.png").exists()
    assert lines[0] == "matting-studio: fetching the selfie segmentation model (first use only)"
    assert lines[-1] == "matting-studio: pip could not download mediapipe==0.10.21: no network."
    assert 10 <= len(lines) - 2 <= 17  # a line per 5 % of the fetch, not one per poll
    # with a trimap, or the object segmenter, nothing is fetched
    code, _, err = run(["cutout", str(toy / "toy.png"), "--trimap", str(toy / "toy_trimap.png"), "--method", "cf",
                        "-o", str(toy / "out.png")], capsys)
    assert code == 0 and "fetching" not in err
