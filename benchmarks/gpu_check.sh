#!/usr/bin/env bash
# The check of several devices on a machine with NVIDIA GPUs, in one go: JAX with CUDA, the
# suite's multi-device tests on the GPUs, and bench_sequences.py --devices over them.
#
#   bash benchmarks/gpu_check.sh            # every GPU present
#
# With fewer than four GPUs, the tests (which need four devices) run on four virtual CPU
# devices instead; the benchmark needs two GPUs or more (one trains the README's example on
# it). Installs into .venv-gpu.
set -euo pipefail
cd "$(dirname "$0")/.."

gpus="$(nvidia-smi -L | grep -c '^GPU')"
echo "+ $gpus GPU(s): $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"
python3 -m venv .venv-gpu
# shellcheck disable=SC1091
source .venv-gpu/bin/activate
python -m pip install --quiet --upgrade pip
jax_version="$(grep -m1 '^jax' requirements-jax.txt | sed 's/^jax//')"
python -m pip install --quiet -r requirements-dev.txt -r requirements-jax.txt "jax[cuda12]$jax_version"
export KERAS_BACKEND=jax

if [ "$gpus" -ge 4 ]; then
    echo "+ the multi-device tests on the GPUs"
    BILSTM_COMPANION_TEST_DEVICE=gpu python -m pytest -n 0 -q tests/test_devices_jax.py
else
    echo "+ fewer than 4 GPUs: the multi-device tests on 4 virtual CPU devices"
    JAX_NUM_CPU_DEVICES=4 python -m pytest -n 0 -q tests/test_devices_jax.py
fi
if [ "$gpus" -ge 2 ]; then
    echo "+ one GPU against $gpus, on 10,000 sequences"
    python benchmarks/bench_sequences.py --sequences 10000 --backends jax --no-folds --devices "$gpus" --device gpu
else
    echo "+ one GPU: the README's example trained on it"
    python classify_sequences.py --write-example example.csv
    python classify_sequences.py example.csv --device gpu --quiet --output-dir results-gpu
fi
