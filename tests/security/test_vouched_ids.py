"""Ids checked for secrets many at once (:func:`tracegraph.schema.inputs.vouch_ids`, as OTLP
ingest does for a request's derived ids) get the answers each id gets alone."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tracegraph.schema import inputs
from tracegraph.schema.inputs import StepInput, vouch_ids

from .test_redaction_corpus import _ID_SECRETS

_ORDINARY = ["otel-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7.step",
             "otel-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7.call",
             "b20251126-r3-root-17", "01a216f2-a56f-7a73-9f64-31a6729c455c"]


def test_a_secret_among_vouched_ids_is_still_refused() -> None:
    for secret in _ID_SECRETS:
        inputs._VOUCHED.clear()
        vouch_ids([*_ORDINARY, secret])
        assert secret not in inputs._VOUCHED
        with pytest.raises(ValidationError, match="looks like a secret"):
            StepInput(step_type="Action", step_id=secret)


def test_ordinary_ids_are_vouched_for_and_accepted() -> None:
    inputs._VOUCHED.clear()
    vouch_ids(_ORDINARY)
    assert set(_ORDINARY) <= inputs._VOUCHED
    for ok in _ORDINARY:
        assert StepInput(step_type="Action", step_id=ok).step_id == ok

