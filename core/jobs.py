"""Scheduled jobs: ``flask jobs run`` runs each due job once, under a database lease.

Several hosts may run the cron line at the same minute: a job is taken with one
atomic ``UPDATE … WHERE locked_until < now``, so only one of them runs it.
Cron line (every 5 minutes)::

    */5 * * * *  cd /srv/propdesk && .venv/bin/flask --app wsgi jobs run
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from core.db import immediate
from core.extensions import db
from core.models import JobLease, utcnow

log = logging.getLogger(__name__)


@dataclass
class Job:
    code: str
    title: object
    interval: timedelta
    run: Callable[[], str | None]
    lease: timedelta = timedelta(minutes=30)


def all_jobs() -> list[Job]:
    from core.plugins import plugins

    return plugins().collect("scheduled_jobs")


def _ensure(code: str) -> None:
    table = JobLease.__table__
    dialect = db.session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    db.session.execute(ins.values(code=code, last_status="").on_conflict_do_nothing())


def try_acquire(job: Job, worker: str, now=None) -> bool:
    """Take the job's lease if it is due and nobody holds it. Commits."""
    now = now or utcnow()
    _ensure(job.code)
    res = db.session.execute(
        update(JobLease)
        .where(
            JobLease.code == job.code,
            or_(JobLease.locked_until.is_(None), JobLease.locked_until < now),
            or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - job.interval),
        )
        .values(locked_by=worker, locked_until=now + job.lease)
    )
    db.session.commit()
    return res.rowcount == 1


def run_due(now=None, only: str | None = None, force: bool = False) -> list[tuple[str, str]]:
    """Run every due job once; returns ``(code, status)`` for those this process ran."""
    from core.audit import acting_as

    worker = f"{socket.gethostname()}:{os.getpid()}"
    ran = []
    for job in all_jobs():
        if only and job.code != only:
            continue
        if force:
            _ensure(job.code)
            db.session.execute(update(JobLease).where(JobLease.code == job.code).values(last_run_at=None))
            db.session.commit()
        if not try_acquire(job, worker, now):
            continue
        try:
            with acting_as(None), immediate():
                status = job.run() or "ok"
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.exception("job %s failed", job.code)
            status = f"failed: {type(exc).__name__}: {exc}"[:500]
        db.session.execute(
            update(JobLease)
            .where(JobLease.code == job.code, JobLease.locked_by == worker)
            .values(last_run_at=now or utcnow(), last_status=str(status)[:500],
                    locked_by=None, locked_until=None)
        )
        db.session.commit()
        ran.append((job.code, str(status)))
    return ran
