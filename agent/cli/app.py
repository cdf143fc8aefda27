"""The ``mockint`` command line: a thin typer app.

Each command group lives in its own module of this package, registered explicitly below; those modules import
only typer and rich at top level and import heavy libraries inside the command bodies, so ``mockint --help`` is fast.
A :class:`agent.errors.MockintError` becomes one red line on stderr and its exit code — never a traceback.
"""

from __future__ import annotations

import sys

import typer

from agent.errors import MockintError

app = typer.Typer(
    name="mockint",
    help="mockint — 大模型 / Agent / 算法岗模拟面试（离线默认，可接 OpenAI 兼容的大模型）。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _plain_metavars() -> None:
    """Help shows no ``<bool>`` on plain flags and ``<str>`` (not ``<list[str]>``) on repeatable options."""
    from typer.core import TyperArgument, TyperOption

    for cls in (TyperOption, TyperArgument):
        original = cls.display_type_rich

        def display(self: object, ctx: object, original: object = original) -> str | None:
            if getattr(self, "is_flag", False) or getattr(getattr(self, "type", None), "name", "") == "boolean":
                return None
            shown = original(self, ctx)  # type: ignore[operator]
            return shown.replace("list[", "").replace("]>", ">") if isinstance(shown, str) else shown

        cls.display_type_rich = display  # type: ignore[method-assign,assignment]


_plain_metavars()


def _register() -> None:
    from agent.cli import bank, bench, evals, interview, knowledge, models, practice, web

    for group in (knowledge, bank, interview, evals, practice, bench, web, models):  # this order is the order of --help
        group.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except MockintError as exc:
        from rich.console import Console
        from rich.markup import escape

        err = Console(stderr=True)  # messages name paths and keys like "[llm]": printed as text, not markup
        err.print(f"[bold red]错误:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"[yellow]提示:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("\n已中断。已完成的步骤都已保存（面试可用 mockint resume ID 继续，导入可直接重跑）。", file=sys.stderr)
        sys.exit(130)
