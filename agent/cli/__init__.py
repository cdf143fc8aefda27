"""The ``mockint`` command line (typer).

``app.py`` builds the app and registers every command group explicitly; one module per group (``interview``,
``practice``, ``knowledge``, ``bank``, ``evals``, ``bench``, ``web``) plus ``terminal`` (the terminal session UI).
Those modules import only typer and rich at top level, so ``mockint --help`` is fast.
"""


def main() -> None:
    """Console-script entry point (``mockint = agent.cli:main``)."""
    from agent.cli.app import main as run

    run()
