"""The recursive-filter rows of the signal suite run, agree with SciPy and are timed."""

import pytest

pytest.importorskip("scipy", reason="SciPy is the reference of the IIR rows")


@pytest.mark.slow  # compiles four programs (~10 s); CI runs the slow grid
def test_iir_rows_quick():
    from convalgebra.bench import forms_iir

    rows = forms_iir.run(True, 2, "", ("forward", "transpose", "grad"), [])
    assert rows and all(r.status == "ok" for r in rows), [(r.formulation, r.status) for r in rows]
    assert all(r.median_ms and r.median_ms > 0 for r in rows)
    for direction in {r.direction for r in rows}:
        assert min(r.ratio_to_best for r in rows if r.direction == direction) == 1.0
