"""A progress bar for long work (batches, reports, training): on a terminal only, and never on stdout.

The bar goes to stderr and is gone when the work ends, so a log or a pipe gets the work's own output
and nothing else; the challenge's ./encode and ./decode never show one.
"""
import contextlib
import sys


@contextlib.contextmanager
def progress(total: int, label: str, unit: str = "files"):
    """A callable that counts n (default 1) units of total done: on a terminal, a bar with the units
    done, the rate and the time left on stderr; elsewhere nothing."""
    if not sys.stderr.isatty() or not total:
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn

    class Rate(ProgressColumn):
        def render(self, task):
            return f"{task.speed:.1f} {unit}/s" if task.speed else ""

    columns = (label, BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn())
    # Lines printed to a terminal's stdout meanwhile go above the bar; stdout into a file or pipe is left alone.
    with Progress(*columns, console=Console(stderr=True, force_terminal=True), transient=True,
                  redirect_stdout=sys.stdout.isatty()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)
