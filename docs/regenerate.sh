#!/usr/bin/env bash
# Regenerate what README.md shows from real runs: the plots (each script at its defaults;
# classify_sequences.py on its example, once as a 5-fold comparison), the notebook docs/python.ipynb run in a
# Jupyter kernel with its outputs kept, and the Findings table (docs/findings.py, 20 paired runs).
# Usage: bash docs/regenerate.sh   (from any folder, with the requirements installed)
set -euo pipefail
cd "$(dirname "$0")/.."
for script in lstm_classify bilstm_classify compare_directions compare_merge_modes; do
    echo "+ python $script.py --quiet"
    python "$script.py" --quiet > "docs/$script.txt"
    cp "results/$script.png" docs/
    if [ -e "results/${script}_sequences.png" ]; then cp "results/${script}_sequences.png" docs/; fi
done
example="$(mktemp -d)/data.csv"
python classify_sequences.py --write-example "$example" > /dev/null
echo "+ python classify_sequences.py data.csv --quiet"
python classify_sequences.py "$example" --quiet > docs/classify_sequences.txt
cp results/classify_sequences.png docs/
echo "+ python classify_sequences.py data.csv --model lstm,bilstm --folds 5 --quiet"
python classify_sequences.py "$example" --model lstm,bilstm --folds 5 --quiet --output-dir results/folds \
    > docs/classify_sequences_folds.txt
cp results/folds/classify_sequences_folds.png docs/
echo "+ python docs/notebook.py"
python docs/notebook.py
python docs/findings.py
