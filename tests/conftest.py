"""Shared test fixtures: where ../shared is, and NEURON when it is installed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """../shared/reference beside the checkout; skips with the reason when absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (../shared beside the checkout)")
    return REFERENCE


@pytest.fixture(scope="session")
def nrn():
    """NEURON's ``h`` with stdrun loaded; skips with the reason if `neuron` cannot be imported."""
    neuron = pytest.importorskip(
        "neuron", reason="the NEURON simulator (PyPI 'neuron') is needed for this comparison"
    )
    h = neuron.h
    h.load_file("stdrun.hoc")
    return h
