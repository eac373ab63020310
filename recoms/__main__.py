"""Composition root of ``recoms``: reads the settings once, builds the service, runs a command."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from recoms.cli import USAGE_ERROR, build_parser, run
from recoms.cli.serve import workers_refusal
from recoms.config import RecomsSettings
from recoms.errors import RecomsError, Unavailable
from recoms.runtime.logs import configure_logging
from recoms.runtime.workers import run_workers, worker_command

FAILURE = 1
INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``recoms`` with ``argv`` (default: the process's); returns the exit status.

    Bad input (arguments, files, feeds, settings) prints one line to stderr and gives 2; a
    database that cannot be reached gives 1. Neither prints a traceback."""
    args = build_parser().parse_args(argv)
    try:
        settings = RecomsSettings()
    except ValidationError as error:
        problems = "; ".join(
            f"RECOMS_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors()
        )
        return _fail(f"bad settings: {problems}", USAGE_ERROR)
    workers = getattr(args, "workers", None) or settings.workers
    if args.command == "serve" and workers > 1 and not args.reuse_port:
        refusal = workers_refusal(workers, settings.port if args.port is None else args.port)
        if refusal is not None:
            return _fail(refusal, USAGE_ERROR)
        return run_workers(
            worker_command(sys.argv[1:] if argv is None else argv, "recoms"), workers
        )
    verbose = args.verbose or args.command in ("serve", "demo")
    configure_logging(
        getattr(args, "log_format", None) or settings.log_format,
        level=logging.INFO if verbose else logging.WARNING,
    )
    try:
        return asyncio.run(run(args, settings, sys.stdout))
    except Unavailable as error:
        return _fail(error.message, FAILURE)
    except RecomsError as error:
        return _fail(error.message, USAGE_ERROR)
    except (SQLAlchemyError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        return _fail(f"database or file error: {reason}", FAILURE)
    except KeyboardInterrupt:
        return INTERRUPTED


def _fail(message: str, status: int) -> int:
    print(f"recoms: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
