"""Pictures from the commands (theory/figures.py): each PNG opens and is not trivial.

"Not trivial" means: the size is what was asked for, at least 2% of the pixels differ from
the background, and there are several distinct colours (lines and markers, not only axes). The
figures must also show the data they were given. The spectrum marks exactly the coefficients
that are nonzero, and the exponent curve's envelope equals ``prediction.exponent``.
"""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

from theory.bounds import lower_bounds  # noqa: E402
from theory.exponents import profile  # noqa: E402
from theory.figures import exponent_curve_figure, save_png, spectrum_figure  # noqa: E402
from theory.predict import predict  # noqa: E402
from theory.rules import make_rule  # noqa: E402


def assert_nontrivial_png(path, min_width=500, min_height=300):
    img = imread(str(path))
    h, w = img.shape[:2]
    assert w >= min_width and h >= min_height, (w, h)
    rgb = img[..., :3]
    background = np.median(rgb.reshape(-1, 3), axis=0)
    differs = np.abs(rgb - background).sum(axis=-1) > 0.05
    assert differs.mean() > 0.02, f"only {differs.mean():.3%} of the pixels are drawn"
    colours = {tuple(c) for c in np.round(rgb.reshape(-1, 3)[::7] * 8).astype(int)}
    assert len(colours) >= 6, f"only {len(colours)} colours"


def test_spectrum_png(tmp_path):
    prof = profile("relu", kmax=12)
    fig = spectrum_figure(prof)
    out = save_png(fig, tmp_path / "spectrum.png")
    assert_nontrivial_png(out)
    # markers at exactly the nonzero coefficients (relu: u_k = 0 for odd k >= 3)
    xs = sorted(int(x) for line in fig.axes[0].lines if line.get_linestyle() == "None"
                and line.get_marker() in ("o", "s") for x in line.get_xdata())
    nonzero = [c.k for c in prof.expansion.coefficients if c.value != 0]
    assert xs == nonzero and 3 not in xs and 2 in xs


def test_exponent_curve_png_with_time_panel(tmp_path):
    pred = predict(make_rule("alternating", "h3", "h3"))
    fig = exponent_curve_figure(pred, d=400, bounds=lower_bounds(pred))
    out = save_png(fig, tmp_path / "curve.png")
    assert_nontrivial_png(out, min_width=1000)
    env = next(line for line in fig.axes[0].lines if line.get_label().startswith("e(alpha)"))
    a, e = env.get_xdata(), env.get_ydata()
    for k in range(0, len(a), 37):
        if np.isfinite(e[k]):
            assert e[k] == pytest.approx(float(pred.exponent(float(a[k]))), abs=1e-12)
    assert len(fig.axes) == 2 and fig.axes[1].get_xscale() == "log"


def test_a_blank_png_fails_the_check(tmp_path):
    """The check is not vacuous: an empty figure is refused."""
    from theory.figures import _figure
    fig, (ax,) = _figure()
    ax.set_axis_off()
    out = save_png(fig, tmp_path / "blank.png")
    with pytest.raises(AssertionError):
        assert_nontrivial_png(out)


def _cli(*argv):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "theory", *argv], capture_output=True, text=True, timeout=600)


def test_exponents_plot_cli(tmp_path):
    out = _cli("exponents", "tanh", "--plot", str(tmp_path / "spectrum.png"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().endswith(str(tmp_path / "spectrum.png"))
    assert_nontrivial_png(tmp_path / "spectrum.png")


def test_simulate_plot_cli(tmp_path):
    out = _cli("simulate", "--rule", "online", "--target", "He3", "--d", "20", "--eta", "0.01", "--runs", "30",
               "--max-steps", "20000", "--no-progress", "--plot", str(tmp_path / "sim.png"))
    assert out.returncode == 0, out.stderr
    assert_nontrivial_png(tmp_path / "sim.png", min_width=1000)


def test_plot_refuses_a_bad_path_before_any_work(tmp_path):
    out = _cli("exponents", "He3", "--plot", str(tmp_path / "missing" / "x.png"))
    assert out.returncode == 2 and "--plot: directory" in out.stderr and out.stderr.count("\n") == 1


def test_overlap_paths_stop_at_the_threshold():
    from theory.rules import make_rule
    from theory.simulate.kernels import step_model
    from theory.simulate.paths import overlap_paths
    paths = overlap_paths(step_model(make_rule("online", "He3"), 0.0, 20), 20, 0.002, runs=3, seed=2,
                          max_steps=50_000)
    for steps, m in paths:
        assert steps[0] == 0 and np.all(np.diff(steps) > 0)
        assert np.all(np.abs(m[:-1]) < 0.5)           # before the last point no run has recovered


def test_objects_display_their_pictures_in_notebooks():
    """A profile, a prediction and a simulation result show their figure through _repr_png_."""
    import theory  # noqa: F401  (registers the renderers)
    from theory.simulate import simulate
    prof = profile("He3", kmax=6)
    pred = predict(make_rule("alternating", "He3"))
    res = simulate(make_rule("online", "He3"), 20, 0.002, eta=0.0, runs=20, seed=0, max_steps=20_000)
    for obj in (prof, pred, res):
        png = obj._repr_png_()
        assert isinstance(png, bytes) and png[:4] == b"\x89PNG" and len(png) > 5000


def test_verify_figure_of_a_rule_without_threshold_has_no_blank_panel(tmp_path):
    """online relu: no eta sweep, no threshold; the T-against-d panel carries the data, the others say why."""
    out = _cli("verify", "--quick", "--rule", "online", "--target", "relu", "--out", str(tmp_path / "v"),
               "--no-progress")
    assert out.returncode == 0, out.stderr[-2000:]
    img = imread(str(tmp_path / "v" / "figure1.png"))[..., :3]
    w = img.shape[1]
    for k in range(3):                                   # each third of the figure is drawn on
        panel = img[:, k * w // 3:(k + 1) * w // 3]
        background = np.median(panel.reshape(-1, 3), axis=0)
        assert (np.abs(panel - background).sum(axis=-1) > 0.05).mean() > 0.003, f"panel {k} is blank"
    right = img[:, 2 * w // 3:]
    colours = {tuple(c) for c in np.round(right.reshape(-1, 3)[::5] * 8).astype(int)}
    assert len(colours) >= 6                            # points and a fitted line, not only text
