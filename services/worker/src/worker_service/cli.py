"""Operators' command line for jobs, on the worker's own database (``DATABASE_URL``).

    python -m worker_service.cli jobs list [--status failed] [--type media.process] [--limit 20]
    python -m worker_service.cli jobs retry JOB_ID
    python -m worker_service.cli jobs retry --failed [--queue mail] [--type email.password_reset]
                                                     [--error "could not reach"]

A retried job is picked up by a running worker at its next poll. ``--failed`` retries every failed
job that matches, for instance the mail jobs that failed while the SMTP server was down
(``make jobs-retry``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import TextIO

from common import Database, DomainError
from common.pagination import MAX_PAGE_SIZE
from worker_service.jobs import service
from worker_service.jobs.schemas import JobPublic, JobStatusFilter
from worker_service.settings import WorkerSettings, get_settings

__all__ = ["main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m worker_service.cli", description="Worker jobs.")
    jobs = parser.add_subparsers(dest="noun", required=True).add_parser("jobs", help="background jobs")
    verbs = jobs.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="list jobs, newest first")
    listing.add_argument("--status", choices=[s.value for s in JobStatusFilter])
    listing.add_argument("--type", dest="job_type")
    listing.add_argument(
        "--limit", type=int, default=20, choices=range(1, MAX_PAGE_SIZE + 1), metavar=f"1..{MAX_PAGE_SIZE}"
    )
    retry = verbs.add_parser("retry", help="run a failed job again, or every failed job that matches")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("job_id", type=uuid.UUID, nargs="?")
    which.add_argument("--failed", action="store_true", help="every failed job matching the filters")
    retry.add_argument("--queue", choices=["mail", "media"], help="with --failed: only this queue")
    retry.add_argument("--type", dest="retry_type", help="with --failed: only this job type")
    retry.add_argument("--error", dest="error_contains", help="with --failed: last error contains this")
    return parser


def _line(job: JobPublic) -> str:
    error = (job.last_error or "").replace("\n", " ")[:80]
    when = f"{job.updated_at:%Y-%m-%d %H:%M:%S}"
    return f"{job.id}  {job.type:<22} {job.status:<9} {job.attempts:>3}  {when}  {error}"


async def run(argv: list[str], settings: WorkerSettings, out: TextIO = sys.stdout) -> int:
    """Execute one command; returns the exit code (1 with a message for a refused retry)."""
    args = _parser().parse_args(argv)
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.session() as session, session.begin():
            if args.verb == "list":
                page = await service.list_jobs(
                    session, status=args.status, job_type=args.job_type, limit=args.limit, cursor=None
                )
                for job in page.items:
                    print(_line(job), file=out)
                return 0
            if args.failed:
                ids = await service.retry_failed_jobs(
                    session, queue=args.queue, job_type=args.retry_type, error_contains=args.error_contains
                )
                print(f"{len(ids)} failed job(s) pending again", file=out)
                return 0
            job = await service.retry_job(session, args.job_id)
            print(f"{job.id} is pending again", file=out)
            return 0
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(sys.argv[1:] if argv is None else argv, get_settings()))


if __name__ == "__main__":
    raise SystemExit(main())
