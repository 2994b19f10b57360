"""The headless face: ``inspector [PATH]`` opens the window; subcommands run the core jobs.

Each area registers its subcommands from its own module (``cmd_*.py``) with
``register(subparsers)``; a subcommand's handler takes the parsed args and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from inspector import __version__

COMMAND_MODULES = (
    "inspector.cli.cmd_open",
    "inspector.cli.cmd_map",
    "inspector.cli.cmd_analyze",
    "inspector.cli.cmd_labels",
    "inspector.cli.cmd_review",
    "inspector.cli.cmd_learn",
    "inspector.cli.cmd_pairs",
    "inspector.cli.cmd_select",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inspector",
        description="Look at an LLM training set as a map, find the junk, label it, "
        "write filter lists. Without a command: open PATH (or nothing) in the window.",
    )
    parser.add_argument("--version", action="version", version=f"inspector {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that area is not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    entry = argv is None  # the process's own entry point (`inspector`, `python -m inspector`)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    # `inspector PATH` and `inspector` alone open the window.
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        argv = ["open", *argv]
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    code = int(args.handler(args) or 0)
    if entry and getattr(args, "exit_at_once", False):
        exit_at_once(code)
    return code


def exit_at_once(code: int) -> None:
    """End the process without tearing the interpreter down, for a command whose files are
    written and closed (``analyze``): the teardown of numba's and LLVM's objects costs ~0.5 s
    of CPU, 1-2 s of a short run on a busy machine, and does nothing a user needs. atexit
    handlers still run and output is flushed; with a non-daemon thread still running, the
    ordinary exit (which waits for it) is kept."""
    import atexit
    import os
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        return
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is None:
        return
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
