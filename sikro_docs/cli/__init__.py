"""The `sikro` command.

Each area of the toolkit keeps its commands in a module of this package
(`intake`, `registers`, ...) and registers them on `cli` below. Every
error a person can cause is a SikroError: `main` prints it as one line
and exits with its documented code, never with a traceback.

Exit codes: 0 success; 1 problems found (invalid rows, failed checks,
a verdict other than valid); 2 unusable input or no workspace (also
click's usage errors); 3 internal error (a bug: please report it);
130 interrupted.
"""

from __future__ import annotations

import functools
import json
import os
import sys

import click

from ..errors import EXIT_UNUSABLE, SikroError
from ..workspace import PRIVATE_UMASK, open_workspace

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


WORKSPACE_HELP = "Workspace folder (default: $SIKRO_WORKSPACE, else the current folder)."


def workspace_option(func):
    """Add --workspace to a command and pass the opened Workspace as `ws`.

    The command's own --workspace wins; else the one given before the command
    (see workspace.resolve_root).
    """

    @click.option("--workspace", "workspace_dir", metavar="DIR", help=WORKSPACE_HELP)
    @functools.wraps(func)
    def wrapper(*args, workspace_dir=None, **kwargs):
        return func(*args, ws=open_workspace(workspace_dir), **kwargs)

    return wrapper


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sikro-docs")
@click.option("--workspace", "workspace_dir", metavar="DIR", help=WORKSPACE_HELP)
@click.pass_context
def cli(ctx, workspace_dir):
    """sikro-docs: the paperwork of a regency licensing office (its permits, as data)."""
    ctx.ensure_object(dict)["workspace_dir"] = workspace_dir
    # Personal data at rest: whatever a command creates is owner-only until the
    # workspace's profile says otherwise (open_workspace applies [security]).
    os.umask(PRIVATE_UMASK)


def _register_commands() -> None:
    from . import (
        archive,
        console,
        database,
        documents,
        intake,
        jobs,
        permit_types,
        registers,
        serve,
        sign,
        templates,
        users,
        verify,
        workflow,
        workspace_cmds,
    )

    for module in (workspace_cmds, intake, registers, workflow, documents, templates, verify, sign,
                   serve, console, users, jobs, archive, permit_types, database):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


# What the CLI adds to a library error: the option that fixes it (the library words the problem
# without naming a front end's flags; the console says it in its own way).
FLAG_HINTS = {
    "step.needs-decision": "Give --decision approve or --decision reject.",
    "step.takes-no-decision": "Leave out --decision.",
    "step.needs-reason": "Give --reason TEXT.",
    "step.too-early": "Give --at with the time it was done.",
}


def main(argv=None) -> None:
    try:
        code = cli.main(args=argv, prog_name="sikro", standalone_mode=False)
    except SikroError as err:
        hint = FLAG_HINTS.get(err.code)
        click.echo(f"sikro: error: {err}" + (f" {hint}" if hint else ""), err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("sikro: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("sikro: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as err:  # one line, like every other error: what, and where to read more
        command = err.ctx.command_path if err.ctx else "sikro"
        click.echo(f"{command}: error: {err.format_message()} (see `{command} --help`)", err=True)
        sys.exit(EXIT_UNUSABLE)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_UNUSABLE if err.exit_code == 2 else err.exit_code)
    except Exception as err:  # a bug: one line, the traceback only on request
        if os.environ.get("SIKRO_DEBUG"):
            raise
        click.echo(
            f"sikro: internal error: {type(err).__name__}: {err} "
            "(set SIKRO_DEBUG=1 to see the traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
