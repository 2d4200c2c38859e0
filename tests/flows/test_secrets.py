"""Provider keys are read at run time from the environment or a Prefect Secret block, never from code."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import load_settings
from flows.runtime import resolve_secrets

pytestmark = pytest.mark.xdist_group("prefect")


def test_a_key_comes_from_the_environment_else_a_secret_block(tmp_path: Path, prefect_api: str) -> None:
    from prefect.blocks.system import Secret

    Secret(value="BLOCK-KEY-42").save("eea-test-fred-key", overwrite=True)
    from_block = load_settings(data_dir=tmp_path, fred_api_key_block="eea-test-fred-key")
    assert resolve_secrets(from_block, "fred") == {"fred_api_key": "BLOCK-KEY-42"}
    from_env = load_settings(
        data_dir=tmp_path, fred_api_key=SecretStr("ENV-KEY-7"), fred_api_key_block="eea-test-fred-key"
    )
    assert resolve_secrets(from_env, "fred") == {"fred_api_key": "ENV-KEY-7"}
    assert "ENV-KEY-7" not in repr(from_env) and "ENV-KEY-7" not in str(from_env.model_dump())
    assert resolve_secrets(load_settings(data_dir=tmp_path), "fred") == {}
