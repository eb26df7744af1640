"""The ``assistant`` command: a thin wrapper over :class:`assistant.core.Assistant`.

Each command builds settings from its flags, calls one library method, and turns an
:class:`~assistant.errors.AssistantError` into one line on stderr and exit code 1.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from .config import DEFAULT_STORE, Settings
from .errors import AssistantError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
    help="Ask questions about 项目支出绩效目标表 (budget performance-target tables) and get cited rows and computed figures.\n\n"
         "Example: [bold]assistant ask \"Which projects target 365 service days?\"[/bold]",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

StoreOpt = typer.Option(None, "--store", help="Index folder (default: index/store, or $ASSISTANT_STORE).")


def _settings(store: Optional[Path]) -> Settings:
    return Settings.load(store=store)


def _guard(fn: Callable[[], Any], settings: Settings | None = None) -> Any:
    """Run ``fn``; an AssistantError becomes one line on stderr (secrets scrubbed) and exit 1."""
    try:
        return fn()
    except AssistantError as e:
        message = str(e)
        for secret in (settings.secrets() if settings else []):
            message = message.replace(secret, "***")
        err.print(f"[red]error:[/red] {message}", highlight=False)
        raise typer.Exit(1)


def _assistant(settings: Settings) -> Any:
    """The assistant; on first use of the default store the bundled sample is built, with a progress bar."""
    from .core import Assistant

    assistant = Assistant(settings)
    if Path(settings.store) == DEFAULT_STORE and not assistant.store.exists():
        from rich.progress import Progress

        def build() -> None:
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("first use: indexing the bundled sample", total=None)
                assistant.ensure_ready(progress=lambda done, total: bar.update(task, completed=done, total=total))

        _guard(build, settings)
    return assistant


def _print_reports(reports: list[Any]) -> None:
    for r in reports:
        out.print(f"[bold]{r.document}[/bold] — {r.department}: {r.projects} projects, {r.indicators} indicators, {r.units} units")
        for f in r.findings:
            mark = {"ok": "[green]✓[/green]", "warning": "[yellow]![/yellow]", "info": "[blue]i[/blue]"}[f.level]
            where = f" [dim]({f.where})[/dim]" if f.where else ""
            out.print(f"  {mark} {f.message}{where}", highlight=False)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Table files (.md .csv .xlsx) or folders holding them."),
    store: Optional[Path] = StoreOpt,
    encoding: Optional[str] = typer.Option(None, help="Text encoding of .md/.csv files (default: detect UTF-8 / GBK)."),
) -> None:
    """Parse, validate and index tables; re-ingesting a file replaces its rows.

    Example: assistant ingest --store /tmp/store index/sources/*.md
    """
    from rich.progress import Progress

    settings = _settings(store)

    def run() -> list[Any]:
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("embedding rows", total=None)
            from .core import Assistant

            return Assistant(settings).ingest(paths, encoding=encoding,
                                               progress=lambda done, total: bar.update(task, completed=done, total=total))

    reports = _guard(run, settings)
    _print_reports(reports)
    out.print(f"indexed into {settings.store}")


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="Table files or folders."),
    encoding: Optional[str] = typer.Option(None, help="Text encoding (default: detect)."),
    as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON."),
) -> None:
    """Check tables without indexing them: totals, unit subtotals, funding columns, numbering.

    Example: assistant validate index/sources
    """
    from .core import parse_paths
    from .validation import validate as check

    reports = _guard(lambda: [check(d) for d in parse_paths(paths, encoding)])
    if as_json:
        print(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=1))
    else:
        _print_reports(reports)


@app.command()
def show(store: Optional[Path] = StoreOpt,
         as_json: bool = typer.Option(False, "--json", help="Print documents -> projects as JSON.")) -> None:
    """List what is indexed: documents, units, projects with their totals and indicators.

    Example: assistant show --json
    """
    settings = _settings(store)
    docs = _guard(lambda: _assistant(settings).show(), settings)
    if as_json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return
    for d in docs:
        out.print(f"[bold]{d['document']}[/bold] — {d['department']} {d['year'] or ''} 合计 {d['total']} 万元")
        for p in d["projects"]:
            flag = " [dim](withheld)[/dim]" if p["withheld"] else ""
            out.print(f"  {p['project']} [dim]{p['unit']}[/dim] {p['total']}{flag}", highlight=False)
            for i in p["indicators"]:
                out.print(f"      {i['number']}. {i['text']}", highlight=False)


def print_answer(answer: Any, explain: bool = False) -> None:
    """Readable answer: text, a table of cited rows, figures with formulas."""
    out.print(answer.text, highlight=False)
    if answer.rows:
        documents = sorted({r.project.source.document for r in answer.rows})
        show_matched = any(r.matched for r in answer.rows)
        table = Table(caption="source: " + ", ".join(documents), caption_justify="left")
        for col in ("#", "project", "unit", "万元", *(["matched"] if show_matched else []), "line"):
            table.add_column(col, overflow="fold", justify="right" if col in ("万元", "line", "#") else "left")
        for k, r in enumerate(answer.rows, 1):
            p = r.project
            line = f"{p.source.sheet}!{p.source.line}" if p.source.sheet else str(p.source.line)
            table.add_row(str(k), p.name, p.unit, str(p.total), *(["；".join(r.matched)] if show_matched else []), line)
        out.print(table)
    for f in answer.figures:
        out.print(f"  {f.label}: [bold]{f.value}[/bold] {f.unit}  [dim]= {f.expression}[/dim]", highlight=False)
    if answer.notice:
        out.print(f"[yellow]{answer.notice}[/yellow]")
    if explain and answer.plan is not None:
        out.print_json(json.dumps(answer.plan, ensure_ascii=False, default=str))


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, or - to read one question per line from stdin."),
    store: Optional[Path] = StoreOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the answer contract as JSON (one object per line with -)."),
    conversation: bool = typer.Option(False, "--conversation", help="With -: the lines are one conversation (follow-ups see earlier turns)."),
    explain: bool = typer.Option(False, "--explain", help="Also print the plan the question was turned into."),
) -> None:
    """Ask a question in Chinese or English.

    Examples:
      assistant ask "Which projects target 365 service days?"
      assistant ask "满意度不低于95%的项目合计多少钱？" --json
      printf 'Which projects target 365 service days?\\nWhat is their combined budget?\\n' | assistant ask --json --conversation -
    """
    from .conversation import Conversation

    settings = _settings(store)
    assistant = _assistant(settings)
    batch = question == "-"
    questions = [q for q in (line.strip() for line in sys.stdin)] if batch else [question]
    convo = Conversation() if conversation or not batch else None
    for q in (q for q in questions if q or not batch):  # blank lines of a batch are skipped; an empty question is refused
        if not as_json:
            print_answer(_guard(lambda: assistant.ask(q, conversation=convo), settings), explain)
            continue
        if batch:  # one bad line must not stop the others: it gets an error object of its own
            try:
                answer = assistant.ask(q, conversation=convo)
            except AssistantError as e:
                print(json.dumps({"status": "error", "answer": str(e), "rows": [], "figures": []}, ensure_ascii=False), flush=True)
                continue
        else:
            answer = _guard(lambda: assistant.ask(q, conversation=convo), settings)
        payload = answer.to_json()
        if explain:
            payload["plan"] = answer.plan
        print(json.dumps(payload, ensure_ascii=False), flush=True)


@app.command()
def chat(store: Optional[Path] = StoreOpt) -> None:
    """Interactive session with history; follow-ups work on the previous answer. Ctrl-D to leave.

    Example: assistant chat
    """
    from .conversation import Conversation

    settings = _settings(store)
    assistant = _assistant(settings)
    _guard(assistant.corpus, settings)
    convo = Conversation()
    out.print("Ask about the budget tables (Chinese or English). Try: [bold]Which projects target 365 service days?[/bold]  Ctrl-D quits.")
    while True:
        try:
            q = out.input("[bold cyan]? [/bold cyan]").strip()
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if not q:
            continue
        try:
            print_answer(assistant.ask(q, conversation=convo))
        except AssistantError as e:
            err.print(f"[red]error:[/red] {e}")


@app.command(name="eval")
def eval_(
    file: Path = typer.Argument(..., help="Gold questions (.jsonl, the format of shared/eval/questions.jsonl)."),
    store: Optional[Path] = StoreOpt,
    as_json: bool = typer.Option(False, "--json", help="Print per-question results as JSON."),
) -> None:
    """Score the assistant on gold questions: per-question pass/fail and the score.

    Example: assistant eval tests/gold/questions.jsonl
    """
    from .evaluation import run_eval

    settings = _settings(store)
    report = _guard(lambda: run_eval(_assistant(settings), file), settings)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        for item in report["items"]:
            mark = "[green]PASS[/green]" if item["passed"] else "[red]FAIL[/red]"
            out.print(f"{mark} {item['id']} {item['question']}" + ("" if item["passed"] else f"\n     {'; '.join(item['why'])}"), highlight=False)
        out.print(f"{report['score']:.1f}% of questions answered correctly ({report['passed']}/{report['total']})")
    if report["passed"] < report["total"]:
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind; a non-loopback one needs ASSISTANT_API_TOKEN."),
    port: int = typer.Option(8000, help="Port to listen on."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Serve the web chat and the HTTP API (and Slack events when SLACK_* is set).

    Example: assistant serve --port 8000, then open http://127.0.0.1:8000/
    """
    from .web import serve as run

    settings = _settings(store)
    _guard(lambda: run(settings, host=host, port=port), settings)


@app.command()
def feedback(store: Optional[Path] = StoreOpt,
             as_json: bool = typer.Option(False, "--json", help="Print feedback as JSON.")) -> None:
    """List thumbs up/down feedback left on the web page or in Slack.

    Example: assistant feedback --json
    """
    from .feedback import list_feedback

    settings = _settings(store)
    items = _guard(lambda: list_feedback(settings), settings)
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=1))
        return
    if not items:
        out.print("no feedback yet")
    for f in items:
        out.print(f"{f.get('created', '')} {f.get('rating', '')} [{f.get('source', '')}] {f.get('question', '')} — {f.get('reason') or ''}", highlight=False)


@app.command()
def slack(store: Optional[Path] = StoreOpt) -> None:
    """Run the Slack bot in Socket Mode (needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN).

    Example: SLACK_APP_TOKEN=xapp-… SLACK_BOT_TOKEN=xoxb-… assistant slack
    """
    from .slack import run_socket_mode

    settings = _settings(store)
    _guard(lambda: run_socket_mode(settings), settings)


def main() -> None:
    """Entry point of the ``assistant`` command."""
    app()


if __name__ == "__main__":
    main()
