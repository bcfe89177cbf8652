"""Scheduled jobs: due jobs run once, and never twice at the same time."""

from datetime import timedelta
from threading import Barrier, Thread

from sqlalchemy import select

from core.jobs import Job, run_due, try_acquire
from core.models import JobLease, utcnow


def test_due_jobs_run_once_and_record_their_status(app, db):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["jobs", "run"]).output
    assert "core.purge_login_attempts:" in out and "notices.take_down: 0 notices taken down" in out
    assert runner.invoke(args=["jobs", "run"]).output.strip() == "nothing due"
    lease = db.session.get(JobLease, "notices.take_down")
    assert lease.last_status == "0 notices taken down" and lease.locked_by is None


def test_a_job_of_a_disabled_plugin_does_not_run(app, db):
    from core.site import disable

    disable("notices")
    out = app.test_cli_runner().invoke(args=["jobs", "run"]).output
    assert "notices.take_down" not in out


def test_a_failing_job_is_reported_and_the_others_still_run(app, db, monkeypatch):
    import core.jobs

    def boom():
        raise RuntimeError("printer on fire")

    jobs = [Job("t.fail", "fails", timedelta(minutes=5), boom),
            Job("t.ok", "works", timedelta(minutes=5), lambda: "done")]
    monkeypatch.setattr(core.jobs, "all_jobs", lambda: jobs)
    ran = dict(run_due())
    assert ran["t.fail"].startswith("failed: RuntimeError: printer on fire") and ran["t.ok"] == "done"


def test_two_hosts_running_jobs_together_take_each_job_once(app, db, tmp_path):
    """The lease is one atomic UPDATE: of two concurrent takers exactly one wins."""
    job = Job("t.once", "once", timedelta(hours=1), lambda: "ok")
    barrier = Barrier(2)
    results = []

    def host(name):
        with app.app_context():
            barrier.wait()
            results.append(try_acquire(job, name))
            db.session.remove()

    threads = [Thread(target=host, args=(f"host{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    db.session.rollback()  # end our older read snapshot
    lease = db.session.scalar(select(JobLease).where(JobLease.code == "t.once"))
    assert lease.locked_by in ("host0", "host1") and lease.locked_until > utcnow()
