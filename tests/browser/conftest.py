"""Fixtures for the browser tests: an nsupd (no nameserver needed for the
pages tested here) and a headless chromium per test."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "system"))

import browserlib  # noqa: E402
import nsupdlib  # noqa: E402
from webutil import create_user  # noqa: E402

USER = "browseruser"
PASSWORD = "browser pass 123"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("browser-nsupd"))
    inst.migrate()
    create_user(inst, USER, PASSWORD)
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


@pytest.fixture
def browser():
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    b = browserlib.Browser()
    yield b
    b.quit()
