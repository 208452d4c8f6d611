"""The lender's data (README "Lender data"):

    python -m bot.intake import FILE [--dry-run] [--database URL]   a JSON-lines file, all or nothing
    python -m bot.intake serve [--host H] [--port P]                the HTTP endpoint (needs BETAALHULP_INTAKE_SECRET)

`import` prints one line per refused record (line, status, reason) and exits 1 when anything was
refused (then nothing was written), 0 when the file was taken in. `--dry-run` checks everything
and writes nothing. `-` reads standard input.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from bot import clock
from bot.intake import schema
from bot.intake.service import refused_everything, take_in_batch


def cmd_import(args) -> int:
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(args.file)
        if not path.is_file():
            print(f"no such file: {args.file}", file=sys.stderr)
            return 2
        data = path.read_bytes()
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        outcome = refused_everything("the file is not UTF-8")
    else:
        outcome = take_in_batch(schema.parse_lines(lines, clock.today()), via="file", database_url=args.database,
                                dry_run=args.dry_run)
    if not outcome.accepted:
        for refusal in sorted(outcome.refusals, key=lambda r: r.line):
            where = f"line {refusal.line}" if refusal.line else "file"
            print(f"{where}: {refusal.status} {refusal.reason}", file=sys.stderr)
        print(f"nothing imported: {len(outcome.refusals)} refused", file=sys.stderr)
        return 1
    summary = {"created": outcome.counts["created"], "duplicates": outcome.counts["duplicates"],
               "dry_run": bool(args.dry_run)}
    print(json.dumps(summary))
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from bot.intake.app import SecretMissing, create_app, secret_from_environment
    from bot.ops.asgi import Observed
    from bot.ops.logs import configure_from_env

    try:
        secret = secret_from_environment()
    except SecretMissing as error:
        print(error, file=sys.stderr)
        return 2
    configure_from_env()
    # No access log: paths are fixed, but a proxy could add query strings.
    uvicorn.run(Observed(create_app(secret=secret, database_url=args.database), "betaalhulp_intake"),
                host=args.host, port=args.port, access_log=False, proxy_headers=False, server_header=False, ws="none")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("BETAALHULP_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.ops.logs import install_masking

    install_masking()  # every record masked, whatever handler prints it (issue 23 §2)
    parser = argparse.ArgumentParser(prog="python -m bot.intake", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="take in a JSON-lines file of the lender's records")
    importing.add_argument("file", help="the file, or - for standard input")
    importing.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    importing.add_argument("--database", help="SQLAlchemy URL (default: BETAALHULP_DATABASE_URL)")
    importing.set_defaults(func=cmd_import)
    serve = commands.add_parser("serve", help="the HTTP endpoint")
    serve.add_argument("--host", default=os.environ.get("INTAKE_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("INTAKE_PORT") or 8082))
    serve.add_argument("--database", help="SQLAlchemy URL (default: BETAALHULP_DATABASE_URL)")
    serve.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
