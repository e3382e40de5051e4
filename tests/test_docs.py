"""The README and the pages under docs/ say true things about the project: every relative link
and every #anchor resolves, and every command shown in a code block names a script, a file and
options that exist."""

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from processes import environment

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page):
    """Every anchor of a page's headings (a repeated heading gets -1, -2, ... as on GitHub)."""
    seen, found = {}, set()
    text = FENCE.sub("", page.read_text())
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def links(page):
    return [target for target in LINK.findall(FENCE.sub("", page.read_text()))
            if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    assert broken == []


def test_the_anchor_rule_is_githubs():
    assert slug("The backward LSTM, aligned") == "the-backward-lstm-aligned"
    assert slug("Backends: JAX, PyTorch, and GPUs") == "backends-jax-pytorch-and-gpus"
    assert slug("classify_sequences.py") == "classify_sequencespy"
    assert slug("Keras 2 to Keras 3") == "keras-2-to-keras-3"


@functools.cache
def options_of(script):
    """The options ``python SCRIPT --help`` lists."""
    done = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True,
                          env=environment(), timeout=120, check=True)
    return set(re.findall(r"--[a-z][a-z0-9-]*", done.stdout))


def commands(page):
    """Every command line of the page's code blocks: ``(words, line)``."""
    found = []
    for block in FENCE.findall(page.read_text()):
        for line in block.splitlines():
            for part in line.split("&&"):
                first = [word for word in part.split() if not re.match(r"[A-Z_]+=", word)][:1]
                if first not in (["python"], ["pip"], ["bash"]):
                    continue  # output, data, or a sketch of calls: not a command
                words = shlex.split(part, comments=True)
                while words and re.match(r"[A-Z_]+=", words[0]):  # KERAS_BACKEND=jax python ...
                    words = words[1:]
                if words and words[0] in ("python", "pip", "bash"):
                    found.append((words, line))
    return found


def problems(words):
    """What is wrong with one command: a script, file or option that does not exist."""
    if words[0] == "pip":
        named = [words[index + 1] for index, word in enumerate(words[:-1]) if word == "-r"]
        return [f"no {name}" for name in named if not (ROOT / name).exists()]
    if words[0] == "bash":
        return [] if (ROOT / words[1]).exists() else [f"no {words[1]}"]
    if words[1:2] in (["-m"], ["-c"]):
        return []
    script, *args = words[1:]
    if not (ROOT / script).exists():
        return [f"no script {script}"]
    own, _, passed_on = " ".join(args).partition(" -- ")  # bench_real_data passes options on
    wrong = [option for option in re.findall(r"(?<!\S)--[a-z][a-z0-9-]*", own) if option not in options_of(script)]
    wrong += [option for option in re.findall(r"(?<!\S)--[a-z][a-z0-9-]*", passed_on)
              if option not in options_of("classify_sequences.py")]
    return [f"{script} has no option {option}" for option in wrong]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_command_shown_names_a_script_and_options_that_exist(page):
    shown = commands(page)
    wrong = [f"{line!r}: {problem}" for words, line in shown for problem in problems(words)]
    assert wrong == []


def test_the_command_check_catches_a_wrong_option_and_a_missing_script():
    assert problems(["python", "lstm_classify.py", "--epochs", "5"]) == []
    assert problems(["python", "lstm_classify.py", "--epoch", "5"]) == ["lstm_classify.py has no option --epoch"]
    assert problems(["python", "nowhere.py"]) == ["no script nowhere.py"]
    assert problems(["pip", "install", "-r", "requirements-gpu.txt"]) == ["no requirements-gpu.txt"]


def test_ci_runs_the_readmes_commands_word_for_word():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "mapfile -t commands < <(.ci/readme-commands)" in ci and 'eval "$command"' in ci
    done = subprocess.run(["bash", str(ROOT / ".ci" / "readme-commands")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines() == ["pip install -r requirements.txt && python bilstm_classify.py",
                                        "pip install -r requirements-dev.txt && python -m pytest"]
    assert set(done.stdout.splitlines()) <= set((ROOT / "README.md").read_text().splitlines())


def test_the_readme_is_a_readers_page_whose_first_screen_says_what_to_run():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250
    first_screen = "\n".join(lines[:40])
    for script in ("sequence.py", "lstm_classify.py", "bilstm_classify.py", "compare_directions.py",
                   "compare_merge_modes.py", "classify_sequences.py"):
        assert f"python {script}" in first_screen, script
    # Every page under docs/ is reachable from the README.
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{page.name}" in links(ROOT / "README.md"), page.name


def test_the_options_page_shows_every_parameter_of_the_table_as_the_table_has_it():
    from bilstm_companion.own_data import parameters

    page = (ROOT / "docs" / "options.md").read_text().splitlines()
    rows = parameters.docs_rows()
    assert rows and all(row in page for row in rows), [row for row in rows if row not in page]
    # And the script's --help, from the same table, states each default.
    done = subprocess.run([sys.executable, "classify_sequences.py", "--help"], cwd=ROOT, capture_output=True,
                          text=True, env=environment(COLUMNS="400"), timeout=60, check=True)
    for parameter in parameters.TABLE:
        if parameter.option:
            assert f"{parameter.flag} " in done.stdout and f"(default: {parameter.stated_default})" in done.stdout


def test_the_python_page_shows_the_classifiers_signature_as_it_is():
    import inspect

    from bilstm_companion.own_data.estimators import SequenceClassifier

    shown = re.search(r"^SequenceClassifier\((.*?)\)\n```", (ROOT / "docs" / "python.md").read_text(),
                      re.MULTILINE | re.DOTALL).group(1)
    assert " ".join(shown.split()).replace("'", '"') == \
        str(inspect.signature(SequenceClassifier))[1:-1].replace("'", '"')
