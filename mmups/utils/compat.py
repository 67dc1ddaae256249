"""Compatibility shims for the pinned OpenMMLab stack (applied on ``import mmups``).

PRELIMINARY version: being completed (documentation of every shim, torch.load
allow-list, tests) -- see tests/utils/test_compat.py.
"""
import importlib.util
import sys
import types


def _register_placeholder(name: str, doc: str) -> None:
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    module.__doc__ = doc
    sys.modules[name] = module


def _shim_mmaction_drn() -> None:
    """mmaction2 1.2.0 wheel lacks ``mmaction.models.localizers.drn``."""
    if importlib.util.find_spec('mmaction') is None:
        return
    import mmaction.utils.dependency as dep
    dep.WITH_MULTIMODAL = False
    pkg = 'mmaction.models.localizers.drn'
    try:
        found = importlib.util.find_spec(pkg) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        _register_placeholder(pkg, 'placeholder (missing from the wheel)')
        drn = types.ModuleType(pkg + '.drn')

        class DRN:  # noqa: D401
            """Placeholder: DRN is missing from the mmaction2 1.2.0 wheel."""

            def __init__(self, *args, **kwargs):
                raise ImportError('DRN is not shipped in mmaction2 1.2.0')

        drn.DRN = DRN
        sys.modules[pkg + '.drn'] = drn


def apply_all() -> None:
    _shim_mmaction_drn()


apply_all()
