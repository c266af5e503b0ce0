"""Floor 2: the compiler. It knows the IR (``ir.py``) and nothing of the expression classes.

``A(x)`` = ``run(rewrite(A.to_ir(...)), x, Ctx)``: the rules (``rules.py``) rewrite the IR, the
interpreter (``emit.py``) emits lax, choosing a strategy (``strategies.py``) per convolution by
the cost model (``cost.py``), a pin, or a measured plan (``plan.py``).
"""
