"""What the two article experiments share: train, save every file, then report, and a stop at
any moment keeping what finished.

``classifier_experiment.run`` and ``comparison_experiment.run`` each bring their own training,
files and report; the order of the steps, and what a stop means in each, is here, once.
"""

from bilstm_companion import backend, plots
from bilstm_companion.progress import stop_point
from bilstm_companion.stopping import STOP

NOTHING_WRITTEN = "Stopped before the first epoch finished; nothing was written."


def run(args, *, train, save, report, noun, name_model):
    """Train, save every file, then report; return the exit status.

    ``train()`` returns ``training.Runs``; ``save(trained)`` saves the files and returns their paths,
    the figures among them, and what the report needs of what it computed (the summary);
    ``report(trained, computed)`` prints the results. Files are saved
    before anything is printed, so a console that fails cannot lose them; a stop request
    (Ctrl-C, SIGTERM, a closed pipe) keeps the finished epochs, and the line that says so
    names where it came: ``noun`` is what a repeat is called (``run``, ``repeat``), and
    ``name_model`` whether to name the model.
    """
    backend.seed_everything(args.seed)
    STOP.enter("training")
    trained = train()
    if trained.curves.empty:
        STOP.say(NOTHING_WRITTEN)
        return STOP.status

    STOP.enter("saving")
    saved, figures, computed = save(trained)

    STOP.enter("reporting")
    where = ", ".join(map(str, saved))
    if trained.stopped:
        at = stop_point(trained.stopped, args.epochs, args.repeats, noun, model=name_model)
        STOP.say(f"Stopped {at}; saved the finished epochs to {where}")
        return STOP.status
    if STOP():  # asked to stop while saving: everything is saved
        STOP.say(f"Stopped after saving {where}")
        return STOP.status
    report(trained, computed)
    print(f"\nSaved {where}")
    if args.show:
        plots.show_figures(figures)
    return 0
