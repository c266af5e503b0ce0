#!/usr/bin/env bash
# The GPU benchmark in one command: the strided, transposed, train and signal suites on an
# NVIDIA GPU against PyTorch with cuDNN (true float32 on both sides: JAX Precision.HIGHEST,
# TF32 off in torch), tables as Markdown and JSON in OUTDIR.
#
#   bash benchmarks/gpu.sh OUTDIR                      # a bare CUDA machine: installs, then runs
#   bash benchmarks/gpu.sh OUTDIR --platform cpu --quick   # dry run of the same steps on the CPU
#
# Options: --platform gpu|cpu (default gpu), --quick (small sizes, a few minutes),
# --no-install (use the current environment as it is). Environment: PYTHON (default python3),
# JAX_CUDA_EXTRA (cuda12 or cuda13; default from the driver's CUDA version).
# Never run in CI (it refuses when CI is set): it installs packages and takes the machine.
set -euo pipefail

usage() { echo "usage: bash benchmarks/gpu.sh OUTDIR [--platform gpu|cpu] [--quick] [--no-install]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1; shift
case "$OUT" in -*) usage ;; esac
PLATFORM=gpu QUICK=() INSTALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --platform) [ $# -ge 2 ] || usage; PLATFORM=$2; shift 2 ;;
    --quick) QUICK=(--quick); shift ;;
    --no-install) INSTALL=0; shift ;;
    *) usage ;;
  esac
done
case "$PLATFORM" in gpu|cpu) ;; *) echo "gpu.sh: --platform must be gpu or cpu, got $PLATFORM" >&2; exit 2 ;; esac
if [ -n "${CI:-}" ]; then
  echo "gpu.sh: refusing to run in CI (CI=$CI): it installs packages and times a GPU" >&2
  exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT"
JAX_VERSION=$($PY -c "import jax; print(jax.__version__)" 2>/dev/null || echo "")

if [ "$PLATFORM" = gpu ]; then
  command -v nvidia-smi >/dev/null || { echo "gpu.sh: no nvidia-smi: is this a CUDA machine?" >&2; exit 1; }
  if [ -z "${JAX_CUDA_EXTRA:-}" ]; then
    CUDA=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\)\..*/\1/p' | head -n1)
    JAX_CUDA_EXTRA=$([ "${CUDA:-12}" -ge 13 ] && echo cuda13 || echo cuda12)
  fi
  if [ "$INSTALL" = 1 ]; then
    # the project with its benchmark extra (torch==2.13.0: the PyPI Linux wheel is CUDA-built,
    # cuDNN included), and jax's CUDA plugin of the same version ("jax[cuda12]" / "jax[cuda13]")
    $PY -m pip install -q -e ".[bench]" "jax[$JAX_CUDA_EXTRA]${JAX_VERSION:+==$JAX_VERSION}"
  fi
  export JAX_PLATFORMS=cuda
  $PY -c "import jax, torch; assert jax.default_backend() == 'gpu', jax.devices(); \
assert torch.cuda.is_available(), 'torch has no CUDA'; print(jax.devices()[0].device_kind, \
'| torch', torch.__version__, 'cuDNN', torch.backends.cudnn.version())" | tee "$OUT/device.txt"
  TORCH_DEVICE=cuda
else
  if [ "$INSTALL" = 1 ] && ! $PY -c "import convalgebra, torch, scipy, pywt" 2>/dev/null; then
    $PY -m pip install -q -e ".[bench]"
  fi
  export JAX_PLATFORMS=cpu
  $PY -c "import jax, torch; print(jax.devices()[0].device_kind, '| torch', torch.__version__)" \
    | tee "$OUT/device.txt"
  TORCH_DEVICE=cpu
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
date -u +"%Y-%m-%d %H:%M UTC" >> "$OUT/device.txt"
uptime >> "$OUT/device.txt"

status=0
run() {  # run NAME CMD...: stdout to OUT/NAME.txt, keep going on failure, remember it
  local name=$1; shift
  echo "gpu.sh: $name: $*" >&2
  if ! "$@" > "$OUT/$name.txt"; then
    echo "gpu.sh: $name failed (see $OUT/$name.txt)" >&2
    status=1
  fi
}
run conv $PY -m convalgebra.bench --suite strided,transposed --device "$PLATFORM" "${QUICK[@]}" \
  --json "$OUT/conv.json" --markdown "$OUT/conv.md"
run train $PY -m convalgebra.bench.forms_train "${QUICK[@]}" --torch-device "$TORCH_DEVICE" \
  --json "$OUT/train.json" --markdown "$OUT/train.md"
run signal $PY -m convalgebra.bench.forms_signal "${QUICK[@]}" \
  --json "$OUT/signal.json" --markdown "$OUT/signal.md"
echo "gpu.sh: tables in $OUT: $(cd "$OUT" && ls | tr '\n' ' ')" >&2
exit $status
