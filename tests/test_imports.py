"""Importing the project does nothing to the process, and its modules import one way.

- Importing any script or ``bilstm_companion`` module changes no signal handler, no environment
  variable, neither output stream, no hook, and not the devices the backend sees: a
  script's start-up happens in its ``main``. Checked in a fresh process per backend.
- Importing a script loads no NumPy, pandas, Matplotlib or Keras, so that ``--help`` and a
  mistake are answered before any of them starts.
- No two modules import each other, directly, lazily (inside a function) or through others;
  no ``bilstm_companion`` module imports a script but ``sequence.py``, the article's problem.
"""

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from processes import environment

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ["sequence", "lstm_classify", "bilstm_classify", "compare_directions", "compare_merge_modes",
           "classify_sequences"]


def project_modules():
    """Every module of the project by its import name: the scripts, then ``bilstm_companion``'s."""
    names = list(SCRIPTS)
    for path in sorted((ROOT / "bilstm_companion").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


# Run in a fresh process: import Keras and its backend first (what they change is theirs), then
# each module in turn, and report the first that changes any of the process's settings.
WATCH_IMPORTS = """
import codecs, importlib, json, os, signal, sys
sys.path.insert(0, os.getcwd())
import keras
backend = keras.backend.backend()
if backend == "tensorflow":
    import tensorflow as tf
    devices = lambda: [device.name for device in tf.config.get_visible_devices()]
elif backend == "jax":
    import jax
    devices = lambda: [str(device) for device in jax.devices()]
else:
    import torch
    devices = lambda: [torch.cuda.device_count()]

def plain_text_handler():
    try:
        return codecs.lookup_error("plain_text")
    except LookupError:
        return None

def state():
    return {
        "signals": {name: repr(signal.getsignal(getattr(signal, name))) for name in ("SIGINT", "SIGTERM", "SIGHUP")},
        "environ": dict(os.environ),
        "streams": [id(sys.stdout), id(sys.stderr), sys.stdout.errors, sys.stderr.errors],
        "unraisablehook": repr(sys.unraisablehook),
        "codec error handler": repr(plain_text_handler()),
        "argv": list(sys.argv),
        "devices": devices(),
    }

before = state()
changed, calls = {}, []
# The functions that set up a process or start the backend, recorded if an import calls them:
# with the backend imported already, start_backend would change nothing the state shows.
infrastructure = ["bilstm_companion.stopping", "bilstm_companion.startup", "bilstm_companion.cli"]
for name in infrastructure + [name for name in sys.argv[1:] if name not in infrastructure]:
    importlib.import_module(name)
    if name == infrastructure[-1]:
        from bilstm_companion import cli, startup, stopping
        for owner, function in [(startup, "start_backend"), (startup, "hide_gpus"), (stopping.Stop, "install"),
                                (cli, "tolerate_any_console"), (cli, "register_plain_text"), (cli, "run"),
                                (cli, "start")]:
            setattr(owner, function, lambda *args, _name=function, **kw: calls.append(_name))
    after = state()
    differ = sorted(key for key in before if before[key] != after[key]) + calls
    if differ:
        changed[name] = differ
        before, calls = after, []
print(json.dumps({"backend": backend, "changed": changed}))
"""


def installed_backends():
    return [name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name) is not None]


BACKEND_PACKAGES = ("tensorflow", "jax", "torch")


def module_path(name):
    path = ROOT / (name.replace(".", "/") + ".py")
    return path if path.exists() else ROOT / name.replace(".", "/") / "__init__.py"


def backends_imported_at_the_top(name):
    """The backend packages module ``name`` imports when it is imported (outside functions)."""
    found = set()
    for node in ast.parse(module_path(name).read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(BACKEND_PACKAGES)


def backends_own_modules():
    """Each backend's own modules: those that import its package as they are imported. They run
    only on that backend, whose requirements file brings the package; every other module must
    import with any one backend installed, the README's TensorFlow alone among them."""
    own = {backend: set() for backend in BACKEND_PACKAGES}
    for name in project_modules():
        for backend in backends_imported_at_the_top(name):
            own[backend].add(name)
    return own


def test_only_a_backends_own_modules_import_its_package_and_each_imports_one():
    own = backends_own_modules()
    assert "bilstm_companion.torch_lstm" in own["torch"] and "bilstm_companion.own_data.trainer_jax" in own["jax"]
    assert all(len(backends_imported_at_the_top(name)) <= 1 for name in project_modules())


@pytest.mark.parametrize("backend", installed_backends())
def test_importing_any_module_changes_nothing_in_the_process(backend):
    # A backend's own modules import its package, whose start changes the environment: each is
    # watched on its backend, and the others' are left out (their packages may not be installed).
    others = set().union(*(names for other, names in backends_own_modules().items() if other != backend))
    modules = [name for name in project_modules() if name not in others]
    done = subprocess.run([sys.executable, "-c", WATCH_IMPORTS, *modules], cwd=ROOT, capture_output=True,
                          text=True, env=environment(KERAS_BACKEND=backend), timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"backend": backend, "changed": {}}


def test_importing_a_script_loads_none_of_keras_numpy_pandas_or_matplotlib():
    heavy = ("keras", "tensorflow", "jax", "torch", "numpy", "pandas", "matplotlib")
    check = ("import sys; sys.path.insert(0, '.'); "
             f"import {', '.join(name for name in SCRIPTS if name != 'sequence')}; "
             f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {set(heavy)!r}))")
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
                          env=environment(), timeout=60, check=True)
    assert done.stdout.strip() == "[]"


# The import graph -----------------------------------------------------------------------------

def imports_of(name):
    """The project modules that module ``name`` imports, anywhere in it (inside functions too)."""
    path = module_path(name)
    known = set(project_modules())
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            candidates = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for candidate in candidates:
            # ``from bilstm_companion.own_data import run`` imports the module bilstm_companion.own_data.run.
            if candidate in known and candidate != name:
                found.add(candidate)
    return found


def cycles(graph):
    """Every cycle of ``graph`` (a dict of sets), as the list of its modules, one per cycle."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def import_graph():
    return {name: imports_of(name) for name in project_modules()}


def test_no_two_modules_import_each_other_directly_lazily_or_through_others():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle_through_a_third_module():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]


def test_the_package_imports_no_script_but_the_articles_problem():
    graph = import_graph()
    scripts_imported = {name: graph[name] & set(SCRIPTS) for name in graph if name.startswith("bilstm_companion")}
    assert {name: found for name, found in scripts_imported.items() if found} == {
        "bilstm_companion.article.training": {"sequence"},  # draws the article's sequences
        "bilstm_companion.own_data.example": {"sequence"},  # the example CSV is the article's problem
    }


# The article's steps in each script ------------------------------------------------------------

ARTICLE_SCRIPTS = ["lstm_classify", "bilstm_classify", "compare_directions", "compare_merge_modes"]
STEPS = ("build_", "compile_model", "train_model", "predict_classes", "show_prediction")


@pytest.mark.parametrize("script", ARTICLE_SCRIPTS)
def test_each_script_shows_the_articles_steps_on_keras_and_sequence_py_alone(script):
    # The model, its compile, the loop of fresh sequences with its fit, the prediction: in the
    # script's own functions, which a reader can copy beside sequence.py and run on Keras alone.
    tree = ast.parse((ROOT / f"{script}.py").read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    steps = [node for name, node in functions.items() if name.startswith(STEPS)]
    assert {"compile_model", "train_model"} <= set(functions)
    assert any(name.startswith("build_") or name.endswith("_models") for name in functions)  # the models compared
    calls = {node.func.attr for function in steps for node in ast.walk(function)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert {"compile", "fit"} <= calls
    if script.endswith("classify"):
        assert "predict" in calls
    for function in steps:
        imported = {name for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)
                    for name in ([node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names])}
        assert imported <= {"keras", "sequence"}, (function.name, imported)
    # The plot call is the script's too.
    plotted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("plot_")]
    assert plotted and "plots.plot_" in ast.unparse(plotted[0])


# What pip installs ------------------------------------------------------------------------------

def test_the_distribution_declares_every_package_its_modules_import():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["name"] == "bilstm-companion"
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["bilstm_companion*"]
    declared = {re.split(r"[<>=\[ ]", requirement)[0].lower()
                for requirement in [*project["project"]["dependencies"],
                                    *(extra for extras in project["project"]["optional-dependencies"].values()
                                      for extra in extras)]}
    distribution = {"sklearn": "scikit-learn"}  # import names that differ from what pip installs
    standard = set(sys.stdlib_module_names) | {"bilstm_companion", "sequence"}  # (sequence.py: a clone's, the article's)
    imported = set()
    for name in project_modules():
        if name.startswith("bilstm_companion"):
            for node in ast.walk(ast.parse(module_path(name).read_text())):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
    needed = {distribution.get(name, name) for name in imported - standard}
    assert needed <= declared, needed - declared
