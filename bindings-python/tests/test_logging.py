"""Rust `tracing` events reach Python's `logging` through the `entra_sync` logger."""

from __future__ import annotations

import logging

import pytest

import entra_sync


def test_events_at_or_above_the_level_are_forwarded(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="entra_sync"):
        entra_sync._native._emit_log_for_test("info", "hello from rust")
        entra_sync._native._emit_log_for_test("debug", "too verbose")
    records = [r for r in caplog.records if r.name == "entra_sync"]
    messages = [r.getMessage() for r in records]
    assert any("hello from rust" in m for m in messages), messages
    assert not any("too verbose" in m for m in messages), messages
    hello = next(r for r in records if "hello from rust" in r.getMessage())
    assert hello.levelno == logging.INFO
    assert "detail=1" in hello.getMessage()
    # The span the event happened in, with its fields, prefixes the message.
    assert hello.getMessage() == "probe run=run-1 tenant=t-1: hello from rust detail=1"
    assert hello.entra_context == {"run": "run-1", "tenant": "t-1"}
    assert hello.rust_target


def test_level_changes_apply_on_the_next_call(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="entra_sync"):
        entra_sync._native._emit_log_for_test("debug", "now visible")
    with caplog.at_level(logging.ERROR, logger="entra_sync"):
        entra_sync._native._emit_log_for_test("warn", "now hidden")
    messages = [r.getMessage() for r in caplog.records if r.name == "entra_sync"]
    assert any("now visible" in m for m in messages)
    assert not any("now hidden" in m for m in messages)
    levels = {r.levelno for r in caplog.records if "now visible" in r.getMessage()}
    assert levels == {logging.DEBUG}
