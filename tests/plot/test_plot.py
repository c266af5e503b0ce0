"""ca.plot: every figure is drawn with Agg, written, of the expected size and not blank."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convalgebra as ca
import convalgebra.plot as cplot
from convalgebra.plot import _figures

mpl = pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
mpl.use("Agg")
Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")

Q = jnp.array([2.0, 3.0, 5.0])
X8 = jax.ShapeDtypeStruct((8,), jnp.float64)


def _check_png(path, fig_size_px=None):
    assert os.path.isfile(path)
    with Image.open(path) as im:
        if fig_size_px is not None:
            assert abs(im.size[0] - fig_size_px[0]) <= 1 and abs(im.size[1] - fig_size_px[1]) <= 1
        px = np.asarray(im.convert("L"), dtype=float)
    assert px.std() > 5.0, "blank image"
    return px.shape


def _px(fig, dpi):
    w, h = fig.get_size_inches() * dpi
    return round(w), round(h)


def test_matrix_shows_A_and_its_derived_transpose(tmp_path):
    A = ca.down(2) @ ca.corr(Q, "same")
    fig = cplot.matrix_figure(A, X8)
    m = np.asarray(ca.matrix(A, X8))
    a, at = (ax.images[0].get_array() for ax in fig.axes[:2])
    np.testing.assert_allclose(a, m)
    np.testing.assert_allclose(at, m.T)
    assert fig.axes[0].get_title() == "↓2 (q ⋆[same] x)"
    assert "ᵀ" in fig.axes[1].get_title()
    path = cplot.matrix_figure(A, X8, path=tmp_path / "m.png", dpi=50)
    _check_png(path, _px(fig, 50))


def test_matrix_complex_and_no_transpose(tmp_path):
    A = ca.conv(Q.astype(jnp.complex128) * 1j, "same")
    fig = cplot.matrix_figure(A, jax.ShapeDtypeStruct((4,), jnp.complex128), transpose=False)
    assert len(fig.axes) == 2  # the matrix and its colour bar
    assert "real part" in fig.axes[0].get_title()


def test_matrix_too_large():
    with pytest.raises(ValueError, match=r"plot\.matrix_figure: operator too large .* 100 inputs"):
        cplot.matrix_figure(ca.conv(Q), jax.ShapeDtypeStruct((100,), jnp.float32))


@pytest.mark.parametrize("op", ["conv", "corr"])
@pytest.mark.parametrize("discrete", [True, False])
def test_sliding_product_sums_to_the_output(op, discrete):
    dt = 1.0 if discrete else 0.1
    d = _figures._sliding_data(
        op, _figures.DEFAULT_H, [_figures.DEFAULT_X[0]], discrete, dt, (0.0, 10.0), (-3, 16)
    )
    scale = 1.0 if discrete else dt
    for m in range(0, d.y.size, 7):
        np.testing.assert_allclose(d.product(m).sum() * scale, d.y[m], atol=1e-9)
    # the kernel sits flipped (conv) or not (corr) at t = ty[m]
    taus = d.kernel_at(5)
    assert (np.diff(taus) < 0).all() if op == "conv" else (np.diff(taus) > 0).all()
    # conv of the impulse response with a pulse starts at t = 0; corr ends at t = 3
    big = d.ty[np.abs(d.y) > 1e-3]
    if op == "conv":
        assert big.min() == pytest.approx(0.0, abs=dt + 1e-9)
    else:
        assert big.max() <= 3.0 + dt


def test_sliding_strip_and_gif(tmp_path):
    fig = cplot.sliding(strip=2, dt=0.2)
    assert len(fig.subfigs) == 4  # conv and corr rows, two instants
    png = cplot.sliding(strip=2, dt=0.2, path=tmp_path / "s.png", dpi=40)
    _check_png(png, _px(fig, 40))
    gif = cplot.sliding(
        ops="conv", discrete=True, channels=2, frames=3, path=tmp_path / "s.gif", dpi=40
    )
    with Image.open(gif) as im:
        assert im.n_frames == 3
        assert im.size == (round(4.6 * 40), round((1.15 * 3 + 0.35) * 40))
        im.seek(1)
        assert np.asarray(im.convert("L"), dtype=float).std() > 5.0


def test_sliding_bad_input():
    with pytest.raises(ValueError, match=r"plot\.sliding: ops must be .* got \('flip',\)"):
        cplot.sliding(ops="flip")
    with pytest.raises(ValueError, match=r"plot\.sliding: channels must be 1 or 2, got 3"):
        cplot.sliding(channels=3)
    with pytest.raises(ValueError, match=r"2 kernels for 3 channels"):
        cplot.sliding(h=[[1.0], [2.0]], x=[[1.0], [2.0], [3.0]])


def test_overlap_maps(tmp_path):
    fig = cplot.overlap_figure((3, 4), 2, in_size=4)
    two = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    np.testing.assert_array_equal(two[0], ca.nn.overlap((4, 4), (3, 3), (2, 2)))
    np.testing.assert_array_equal(two[1], ca.nn.overlap((4, 4), (4, 4), (2, 2)))
    assert "uneven" in fig.axes[0].get_title() and "even" in fig.axes[1].get_title()
    _check_png(cplot.overlap_figure(3, 2, path=tmp_path / "o.png", dpi=40))


def test_overlap_bad_input():
    with pytest.raises(ValueError, match=r"plot\.overlap_figure: .* got kernel=\(3, 0\), stride=2"):
        cplot.overlap_figure((3, 0), 2)


def test_benchmark_plot(tmp_path):
    rows = [
        dict(case="s1d", direction=d, formulation=f, family=fam, status="ok", ratio_to_best=r)
        for d in ("forward", "grad")
        for f, fam, r in (("convalgebra lowered", "convalgebra", 1.0), ("lax conv", "lax", 1.7))
    ]
    fig = cplot.benchmark(rows, title="t")
    path = cplot.benchmark(rows, path=tmp_path / "b.png", dpi=40)
    _check_png(path, _px(fig, 40))
    with pytest.raises(ValueError, match=r"plot\.benchmark: no successful rows .* 0 rows"):
        cplot.benchmark([])


def test_save_writes_named_figures(tmp_path):
    paths = cplot.save(tmp_path / "figs", ["matrix", "overlap"], quick=True)
    assert [os.path.basename(p) for p in paths] == ["matrix.png", "overlap.png"]
    for p in paths:
        _check_png(p)


def test_save_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"plot\.save: unknown figure name 'nope'; choose from"):
        cplot.save(tmp_path, ["matrix", "nope"])
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=r"plot\.save: cannot create the figure directory"):
        cplot.save(tmp_path / "file" / "sub", ["matrix"])
    with pytest.raises(ValueError, match=r"plot\.matrix_figure: cannot write"):
        cplot.matrix_figure(ca.up(2), jnp.zeros(2), path=tmp_path / "file" / "m.png")


def test_import_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install convalgebra\[plot\]"):
        cplot.overlap_figure(3, 2)


def test_importing_convalgebra_does_not_import_matplotlib():
    code = "import sys, convalgebra, convalgebra.plot; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_figures_table_names_files_and_builders():
    assert {"matrix", "sliding", "overlap"} <= set(cplot.FIGURES)
    for name, (file, build) in cplot.FIGURES.items():
        assert file.endswith((".png", ".gif")), (name, file)
        assert callable(build), name
