#!/usr/bin/env bash
# Regenerate what README.md shows from real runs: the plots (each script at its defaults;
# classify_sequences.py on its example) and the Findings table (docs/findings.py, 20 paired runs).
# Usage: bash docs/regenerate.sh   (from any folder, with the requirements installed)
set -euo pipefail
cd "$(dirname "$0")/.."
for script in lstm_classify bilstm_classify compare_directions compare_merge_modes; do
    echo "+ python $script.py --quiet"
    python "$script.py" --quiet > "docs/$script.txt"
    cp "results/$script.png" docs/
done
example="$(mktemp -d)/data.csv"
python classify_sequences.py --write-example "$example" > /dev/null
echo "+ python classify_sequences.py data.csv --quiet"
python classify_sequences.py "$example" --quiet > docs/classify_sequences.txt
cp results/classify_sequences.png docs/
python docs/findings.py
