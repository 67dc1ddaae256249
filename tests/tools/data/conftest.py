"""Fixtures of the data converter tests."""
import importlib.util
import os.path as osp
from types import ModuleType
from typing import Callable

import pytest

TOOLS = osp.abspath(
    osp.join(osp.dirname(__file__), '..', '..', '..', 'tools', 'data'))


@pytest.fixture
def load_tool() -> Callable[[str], ModuleType]:
    """Import a script of tools/data/ by name (tools/ is not a package)."""

    def load(name: str) -> ModuleType:
        path = osp.join(TOOLS, f'{name}.py')
        spec = importlib.util.spec_from_file_location(
            f'mmups_tools_data_{name}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def shared_path(shared_data) -> Callable[..., str]:
    """``shared_path('penn_action', 'labels')``: that path below
    ../shared/data, or skip the test where it is absent."""

    def get(*parts: str) -> str:
        path = osp.join(shared_data, *parts)
        if not osp.exists(path):
            pytest.skip(f'real data {path} is absent')
        return path

    return get
