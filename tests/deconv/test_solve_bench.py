"""The solve benchmark runs on tiny sizes and its formulations agree with the closed form."""

import pytest

from convalgebra.bench import forms_solve as fs


@pytest.mark.slow
def test_solve_bench_tiny():
    cases = (
        fs.SolveCase("2d_t", (16, 16), 5, 2, 1e-3, 5),
        fs.SolveCase("1d_t", (2, 32), 5, 1, 1e-3, 5),
    )
    results = [r for c in cases for r in fs.run_case(c, repeat=1)]
    text = fs.report(results)
    assert "CG to the same residual / closed form" in text
    by = {(r.case, r.formulation): r for r in results}
    for c in cases:
        assert by[(c.name, "closed")].iterations == 0
        assert by[(c.name, "cg (same residual)")].iterations > 0
        for r in results:
            if r.case == c.name and r.rel_err is not None:
                assert r.rel_err <= fs.AGREE, (r.formulation, r.rel_err)


@pytest.mark.slow
def test_deblur_rows_tiny():
    """The deblurring rows (circular and symmetric boundaries) agree with the hand-written
    rfft2 and dctn Tikhonov solutions."""
    import jax

    with jax.enable_x64(False), jax.numpy_dtype_promotion("standard"):  # as main() runs it
        results = fs.run_deblur(16, repeat=1)
    rows = {r.formulation: r for r in results}
    assert "ca.solve dct jit (x)" in rows and "hand dctn Tikhonov" in rows
    for r in results:
        if r.rel_err is not None:
            assert r.rel_err <= fs.AGREE, (r.formulation, r.rel_err)
    assert "dct closed form / hand dctn" in fs.report_deblur(results)
