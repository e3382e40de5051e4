"""How often does ``classify_sequences.py`` say "X is more accurate on this data" when nothing
differs, and how often when something does? Checked by simulation, through the project's own
folds, summary and verdict code, in every design the script offers.

Each simulated comparison draws fresh data and scores two classifiers on it as a run of the
script scores two models: the folds come from ``bilstm_companion.own_data.folds.plan_folds``, each
training's per-sequence correctness becomes a ``scoring.Result``, ``scoring.summarise`` makes
the paired interval, and ``report.more_accurate`` says whether it gives a verdict. The two
classifiers are real ones, cheap enough for thousands of runs: nearest-centroid rules, trained
on each fold's training part, each on its own half of six Gaussian features. Under the null
the two halves are equally informative, so the classifiers are equal in expectation yet
disagree sequence by sequence; each sequence has its own noise level, the same for both
halves, so a hard sequence is hard for both. Against a true difference, the first half's class
means are moved closer together until its classifier is 0.05 (or 0.02) less accurate on
average; the table shows the difference the simulation reached (each trained rule's exact
accuracy on the population, averaged).

A centroid is a stable learner: trained twice on the same data, it is the same rule. The
project's networks are not: another seed moves their accuracy by a few points (measured in
docs/own-data.md, "Verdicts when trainings vary"). So each design also runs with unstable
learners (``LEARNERS``): each training moves its rule at random, by as much as makes its
accuracy's standard deviation over seeds 0.03, or 0.10, on the population.

What a verdict claims depends on the design. With several trainings of each model (folds,
repeats, folds with a test file) the intervals count how trainings vary, and a verdict speaks
of the models: under the null every verdict is false (column ``null``). With one training (a
split, or ``--test FILE`` alone) nothing measures that spread; the script's verdict says "as
trained in this run", and is false only where it names the rule whose training came out no
more accurate on the population (column ``wrong``). ``null`` in those rows is how often the
same interval, read as a claim about the models, would be false.

The designs, with 100 sequences to learn from and a test file of 175 (as measured in the
issue that asked for this): one split (70/15/15); ``--folds 5``; ``--test FILE`` (one training);
``--folds 5 --test FILE``; and ``--folds 5 --repeats 3``. The last line gives, for every design,
the share of false verdicts for the claim it prints, at its worst over the learners.

The same comparisons also run through ``compare_classifiers``, the script's design from
Python, with the two stable rules as scikit-learn classifiers of the six features read as a
sequence of six steps (``--through-python N`` of them per design): its summary must be the
script's, number for number, and the column ``from Python`` is its share of null verdicts.

Usage:
    python benchmarks/bench_verdicts.py                    # 2,000 comparisons per design and effect
    python benchmarks/bench_verdicts.py --comparisons 500  # a quick look
"""

import argparse
import functools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats as distributions

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bilstm_companion.options import positive_int
from bilstm_companion.own_data import report, scoring
from bilstm_companion.own_data.folds import plan_folds
from bilstm_companion.own_data.sequences import DataError
from bilstm_companion.stats import NO_DIFFERENCE

SEPARATION = 2.0  # distance between the two classes' means, in each half of the features
NOISE = np.array([0.6, 1.0, 1.4])  # a sequence's noise level, drawn from these
DIRECTION = np.ones(3) / np.sqrt(3)
EFFECTS = (0.0, 0.05, 0.02)  # the true differences simulated: the null first


@dataclass(frozen=True)
class Learner:
    """How much a rule's accuracy moves from one training to the next on the same data:
    ``spread`` is its standard deviation over training seeds, on the population."""

    name: str
    spread: float = 0.0
    members: int = 1  # an ensemble: the mean of this many trainings' rules, one model to the comparison


# The rules as they are (a centroid is the same every time), as unstable as the project's
# networks on most public sets (0.03), and more than on the most unstable one (ArrowHead, 0.09;
# docs/own-data.md, "Verdicts when trainings vary"); and an ensemble of five very unstable ones
# (--ensemble 5: one model whose rule is the mean of its members').
LEARNERS = (Learner("stable"), Learner("unstable", 0.03), Learner("very unstable", 0.10),
            Learner("ensemble of 5", 0.10, members=5))


@dataclass(frozen=True)
class Design:
    """One way the script scores its models: ``folds`` trainings, ``repeats`` dealings, on a
    test file of ``file`` sequences or on the held-out folds (``file`` 0)."""

    name: str
    folds: int
    repeats: int = 1
    file: int = 0
    learn: int = 100


DESIGNS = (
    Design("split", 1),
    Design("folds", 5),
    Design("test file", 1, file=175),
    Design("folds and test file", 5, file=175),
    Design("folds, repeated 3 times", 5, repeats=3),
)


class Labels:
    """What ``plan_folds`` reads of a data set: a class per sequence, the classes, a length."""

    def __init__(self, y):
        self.y, self.classes = y, ["0", "1"]

    def __len__(self):
        return len(self.y)


def draw(rng, n):
    """``n`` sequences: each one's class, and the noise of its six features (at a level of
    its own, the same for both halves)."""
    y = rng.integers(0, 2, n)
    noise = NOISE[rng.integers(0, len(NOISE), n)]
    return y, noise[:, None] * rng.standard_normal((n, 6))


def features(y, noise_values, half, scale):
    """The three features of ``half`` (0 or 1): the class mean, moved ``scale`` of the way
    from the middle, plus the noise."""
    sign = 2.0 * y - 1
    return sign[:, None] * (scale * SEPARATION / 2) * DIRECTION + noise_values[:, 3 * half:3 * half + 3]


def nearest_centroid(x, y):
    """The rule ``x . w > b`` that puts each point with the nearer class mean of ``x, y``."""
    ones, zeros = x[y == 1].mean(axis=0), x[y == 0].mean(axis=0)
    return ones - zeros, ((ones**2).sum() - (zeros**2).sum()) / 2


def exact_accuracy(w, b, scale):
    """A rule's accuracy on the whole population (both classes equally likely)."""
    mean = scale * SEPARATION / 2 * DIRECTION
    spread = np.linalg.norm(w) * NOISE
    return float(np.mean(0.5 * (distributions.norm.cdf((w @ mean - b) / spread)
                                + distributions.norm.cdf((b + w @ mean) / spread))))


@functools.cache
def perturbation_for(spread, draws=4000):
    """How far a training moves its rule, as a share of the rule's length, for its accuracy to
    have a standard deviation of ``spread`` over training seeds (the population's rule, found
    by bisection over a fixed set of seeds: the same answer every call)."""
    if spread == 0:
        return 0.0
    shifts = np.random.default_rng(0).standard_normal((draws, 4))
    w, b = SEPARATION * DIRECTION, 0.0
    mean = SEPARATION / 2 * DIRECTION

    def spread_at(size):  # exact_accuracy of every moved rule at once
        moved_w = w + size * np.linalg.norm(w) * shifts[:, :3]
        moved_b = b + size * np.linalg.norm(w) * shifts[:, 3]
        spread = np.linalg.norm(moved_w, axis=1)[:, None] * NOISE
        along = (moved_w @ mean)[:, None]
        accuracy = np.mean(0.5 * (distributions.norm.cdf((along - moved_b[:, None]) / spread)
                                  + distributions.norm.cdf((moved_b[:, None] + along) / spread)), axis=1)
        return float(np.std(accuracy))

    low, high = 0.0, 2.0
    for _ in range(30):
        middle = (low + high) / 2
        low, high = (middle, high) if spread_at(middle) < spread else (low, middle)
    return (low + high) / 2


def trained(x, y, size, rng, members=1):
    """The nearest-centroid rule of ``x, y``, moved at random by ``size`` of its length (a
    training seed's share in what it learns; none when ``size`` is 0); for an ensemble of
    ``members``, by the mean of that many such moves."""
    w, b = nearest_centroid(x, y)
    if size:
        shift = size * np.linalg.norm(w) * rng.standard_normal((members, 4)).mean(axis=0)
        w, b = w + shift[:3], b + shift[3]
    return w, b


def scale_for(effect):
    """How close the first half's class means come for its classifier to be ``effect`` less
    accurate than the second's, on the population (the rules' own estimation error apart)."""
    accuracy = lambda scale: np.mean(distributions.norm.cdf(scale * SEPARATION / 2 / NOISE))
    if effect == 0:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if accuracy(1.0) - accuracy(middle) > effect else (low, middle)
    return (low + high) / 2


def folds_of(design, y, seed):
    """The design's folds of the drawn data, as the script plans them; None where these labels
    cannot be dealt so (a class with too few sequences)."""
    try:
        return plan_folds(Labels(y), design.folds, seed, scored_on_file=design.file > 0, repeats=design.repeats)
    except DataError:
        return None


def comparison(design, rng, seed, scales, rows=False, size=0.0, members=1):
    """One simulated run: for each first-half ``scales``, the verdict's direction (+1: the
    second rule is more accurate, -1: the first, 0: no verdict) and the true difference of the
    two rules as trained (second minus first, on the population, averaged over the
    trainings). The rules learn from each fold's training part, as the script's networks do,
    each training moved by ``size`` (``trained``); with ``rows``, from its training and
    validation parts, as ``compare_classifiers`` teaches a classifier of a reader's own, and
    the summary's row of the second rule takes the verdict's place."""
    while True:
        y, noise_values = draw(rng, design.learn)
        folds = folds_of(design, y, seed)
        if folds is not None:
            break
    if design.file:
        scored_y, scored_noise = draw(rng, design.file)
    outcomes = []
    second = features(y, noise_values, 1, 1.0)
    for scale in scales:
        first = features(y, noise_values, 0, scale)
        results, truth = [], []
        for fold in folds:
            train = np.sort(np.concatenate([fold.training, fold.validation])) if rows else fold.training
            scored = np.arange(design.file) if design.file else fold.test
            for name, x, half_scale, half in (("first", first, scale, 0), ("second", second, 1.0, 1)):
                w, b = trained(x[train], y[train], size, rng, members)
                if design.file:
                    points, labels = features(scored_y, scored_noise, half, half_scale), scored_y
                else:
                    points, labels = x[scored], y[scored]
                correct = ((points @ w > b) == (labels == 1)).astype(np.int64)
                results.append(scoring.Result(name, fold.number, correct, np.ones(len(scored), np.int64),
                                              fold.repeat, scored, not design.file))
                truth.append(exact_accuracy(w, b, half_scale) * (1 if name == "second" else -1))
        row = scoring.summarise(results, ["first", "second"]).iloc[1]
        direction = int(row.difference_low > 0) - int(row.difference_high < 0)
        assert (direction != 0) == (report.more_accurate("second", "first", row.difference_low,
                                                         row.difference_high) != NO_DIFFERENCE)
        outcomes.append((row if rows else direction, float(np.sum(truth) / len(folds))))
    return outcomes


class HalfCentroid:
    """The nearest-centroid rule of one half of the features, as a scikit-learn classifier of
    sequences of six steps (for ``compare_classifiers``)."""

    def __init__(self, half=0):
        self.half = half

    def get_params(self, deep=True):
        return {"half": self.half}

    def set_params(self, **params):
        self.half = params.get("half", self.half)
        return self

    def _half(self, X):
        return np.asarray(X, np.float64)[:, 3 * self.half:3 * self.half + 3]

    def fit(self, X, y):
        self.w_, self.b_ = nearest_centroid(self._half(X), np.asarray(y))
        return self

    def predict(self, X):
        return (self._half(X) @ self.w_ > self.b_).astype(np.int64)


def from_python(design, rng, seed, scale):
    """One simulated run through ``compare_classifiers``: the summary's row of the second rule,
    from the script's summary code and from Python; the draws are ``comparison``'s."""
    from bilstm_companion.own_data.comparison import compare_classifiers

    while True:
        y, noise_values = draw(rng, design.learn)
        folds = folds_of(design, y, seed)
        if folds is not None:
            break
    X = np.concatenate([features(y, noise_values, 0, scale), features(y, noise_values, 1, 1.0)], axis=1)
    test = None
    if design.file:
        scored_y, scored_noise = draw(rng, design.file)
        test = (np.concatenate([features(scored_y, scored_noise, 0, scale),
                                features(scored_y, scored_noise, 1, 1.0)], axis=1), scored_y)
    summary = compare_classifiers({"first": HalfCentroid(0), "second": HalfCentroid(1)}, X, y, folds=design.folds,
                                  repeats=design.repeats, test=test, random_state=seed)
    return summary.iloc[1]


def simulate_from_python(design, comparisons, seed=1):
    """The share of null comparisons with a verdict through ``compare_classifiers``, and
    whether every summary was the script's (its ``comparison``, from the same draws)."""
    rng, again = (np.random.default_rng([seed, len(design.name)]) for _ in range(2))
    verdicts, same = 0, True
    for index in range(comparisons):
        state = again.bit_generator.state
        expected, _ = comparison(design, again, seed + index, [1.0], rows=True)[0]
        rng.bit_generator.state = state
        row = from_python(design, rng, seed + index, 1.0)
        verdicts += row.verdict != NO_DIFFERENCE
        numbers = ["accuracy", "low", "high", "difference", "difference_low", "difference_high"]
        same = same and np.allclose(row[numbers].astype(float), expected[numbers].astype(float), rtol=0, atol=1e-12)
        again.bit_generator.state = rng.bit_generator.state
    return verdicts / comparisons, same


def simulate(design, comparisons, seed=1, effects=EFFECTS, learner=LEARNERS[0]):
    """Over ``comparisons`` simulated runs, for each of ``effects``: the share with a verdict,
    and the mean true difference; and, under the null (``effects[0]``, 0), the share of
    verdicts that are wrong about the trained rules themselves (a verdict for the rule whose
    training came out no more accurate on the population)."""
    rng = np.random.default_rng([seed, len(design.name)])
    scales = [scale_for(effect) for effect in effects]
    size = perturbation_for(learner.spread)
    verdicts, truths, wrong = np.zeros(len(effects)), np.zeros(len(effects)), 0
    for index in range(comparisons):
        for effect, (direction, truth) in enumerate(comparison(design, rng, seed + index, scales, size=size,
                                                               members=learner.members)):
            verdicts[effect] += direction != 0
            truths[effect] += truth
            wrong += effects[effect] == 0 and direction * truth <= 0 and direction != 0
    return verdicts / comparisons, truths / comparisons, wrong / comparisons


def claims_about_models(design):
    """Whether the design's verdicts speak of the models (several trainings, their spread
    counted), or only of the models as trained in the run (one training)."""
    return design.folds * design.repeats > 1


def false_verdicts(comparisons, seed=1, designs=DESIGNS, learner=LEARNERS[0]):
    """By design name, the share of null comparisons with a false verdict for the claim the
    design prints: any verdict where it speaks of the models, and a verdict for the less
    accurate of the two trained rules where it speaks of one training (for the tests)."""
    rates = {}
    for design in designs:
        shares, _, wrong = simulate(design, comparisons, seed, effects=(0.0,), learner=learner)
        rates[design.name] = shares[0] if claims_about_models(design) else wrong
    return rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--comparisons", type=positive_int, default=2000, metavar="N",
                        help="simulated runs per design and effect (default: 2000)")
    parser.add_argument("--through-python", type=positive_int, default=500, metavar="N",
                        help="null comparisons per design also run through compare_classifiers (default: 500)")
    parser.add_argument("--seed", type=positive_int, default=1, metavar="S", help="(default: 1)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    print(f"{args.comparisons} simulated comparisons per learner, design and effect; a verdict is an interval "
          "that excludes 0 (nominal 5% when nothing differs)\n")
    print(f"{'learner':15s}{'design':26s}{'null':>7s}{'wrong':>7s}{'power at 0.05':>15s}{'power at 0.02':>15s}"
          f"{'from Python':>13s}   true differences reached")
    worst = {}
    for learner in LEARNERS:
        for design in DESIGNS:
            start = time.perf_counter()
            shares, truths, wrong = simulate(design, args.comparisons, args.seed, learner=learner)
            python = "-"
            if learner.spread == 0:
                python_share, same = simulate_from_python(design, args.through_python, args.seed)
                if not same:
                    raise SystemExit(f"{design.name}: compare_classifiers' summary is not the script's")
                python = f"{python_share:.1%}"
            claimed = shares[0] if claims_about_models(design) else wrong
            worst[design.name] = max(worst.get(design.name, 0.0), claimed)
            print(f"{learner.name if design is DESIGNS[0] else '':15s}{design.name:26s}{shares[0]:6.1%} {wrong:6.1%} "
                  f"{shares[1]:14.0%} {shares[2]:14.0%} {python:>12s}   "
                  f"{truths[0]:+.3f}, {truths[1]:+.3f}, {truths[2]:+.3f}  ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    headline = ", ".join(f"{name} {rate:.1%}" for name, rate in worst.items())
    print(f"\nfalse verdicts for the claim each design prints, the worst learner: {headline} (at most 6% each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
