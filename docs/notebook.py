"""Run docs/python.ipynb in a real Jupyter kernel, as a reader's Jupyter would, and keep its
outputs, so that the page shows them.

Usage:
    python docs/notebook.py                 # in place, at the notebook's own settings
    python docs/notebook.py --epochs 3 --output /tmp/run.ipynb   # a quick run (the tests')
"""

import argparse
import re
import sys
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent / "python.ipynb"


def execute(path=NOTEBOOK, *, epochs=None, results=None, timeout=900):
    """The notebook at ``path`` run top to bottom in a fresh kernel, from its folder; with
    ``epochs`` or ``results``, its cell tagged ``parameters`` is given those instead (the
    epochs at most, the folder for its files). Returns the notebook with its outputs; a cell
    that fails raises ``nbclient.exceptions.CellExecutionError``."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    cell = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    if epochs is not None:
        cell.source = re.sub(r"^epochs = .*$", f"epochs = {epochs}", cell.source, flags=re.MULTILINE)
    if results is not None:
        cell.source = re.sub(r"^results = .*$", f"results = Path({str(results)!r})", cell.source, flags=re.MULTILINE)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    return notebook


def main(argv=None):
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--epochs", type=int, help="epochs at most (default: the notebook's)")
    parser.add_argument("--output", type=Path, default=NOTEBOOK, help="where to write it (default: in place)")
    args = parser.parse_args(argv)
    notebook = execute(epochs=args.epochs)
    nbformat.write(notebook, args.output)
    print(f"Ran {NOTEBOOK.name} and wrote it, with its outputs, to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
