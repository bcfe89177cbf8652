"""``core.create_app`` pauses the cycle collector while it builds the app (issue 15, start-up)."""

from __future__ import annotations

import gc

import pytest

import core
import core.app


def test_the_collector_is_paused_while_the_app_is_built_and_runs_again_after(monkeypatch):
    seen = []
    monkeypatch.setattr(core.app, "create_app", lambda config=None: seen.append(gc.isenabled()) or "app")
    assert gc.isenabled()
    assert core.create_app({"X": 1}) == "app"
    assert seen == [False] and gc.isenabled()


def test_a_failing_start_up_turns_the_collector_back_on(monkeypatch):
    def broken(config=None):
        raise RuntimeError("no database")

    monkeypatch.setattr(core.app, "create_app", broken)
    with pytest.raises(RuntimeError):
        core.create_app()
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off(monkeypatch):
    monkeypatch.setattr(core.app, "create_app", lambda config=None: "app")
    gc.disable()
    try:
        core.create_app()
        assert not gc.isenabled()
    finally:
        gc.enable()
