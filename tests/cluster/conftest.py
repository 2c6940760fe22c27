import os

import pytest

import kraft


@pytest.fixture
def binary():
    b = os.environ.get("VLTAVA_BIN")
    if not b:
        pytest.skip("VLTAVA_BIN must name the vltava binary")
    return b


@pytest.fixture
def three(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path))
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes
