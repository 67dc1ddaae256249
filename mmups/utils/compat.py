"""Compatibility shims for the pinned OpenMMLab stack.

``import mmups`` applies them (see :func:`apply_all`) before any MMAction2 /
MMPose model module is imported. They are the only changes that importing
mmups makes to other packages, and each repairs an installation of the
pinned stack that is broken without it (an import or a checkpoint load that
fails); tests in ``tests/utils/test_compat.py``:

* :func:`shim_mmcv_ops`: mmcv-lite has no compiled ``mmcv.ops``, which
  ``mmpose.models`` imports (placeholder module);
* :func:`shim_mmaction_drn`: the mmaction2 1.2.0 wheel lacks
  ``localizers/drn``, which ``mmaction.models`` imports (placeholder
  module);
* :func:`shim_mmpose_simcc_vis`: ``mmpose.visualization`` imports
  torchvision for one drawer (placeholder module, torchvision absent
  only);
* :func:`shim_mmaction_multimodal`: MMAction2's multimodal models fail to
  import with transformers 5 or without timm (MMAction2's own flag turned
  off);
* :func:`shim_torch_load_safe_globals`: torch >= 2.6 loads checkpoints with
  ``weights_only=True``, which refuses mmengine checkpoints (the globals
  they contain are allow-listed);
* :func:`check_pkg_resources`: setuptools >= 81 has no ``pkg_resources``,
  which mmengine needs (a warning only).

Every shim:

* first detects the upstream problem it works around and does nothing when
  the problem is absent (e.g. full mmcv with compiled ops, torchvision
  installed, a future mmaction2 wheel that ships ``localizers/drn``);
* is idempotent (applying it twice changes nothing more);
* fails loudly where the missing piece is actually used, never earlier and
  never silently.

:data:`APPLIED` records which shims were needed in this process; print it
when reporting an installation problem.

The placeholder modules are served by one :class:`importlib.abc.MetaPathFinder`
placed in front of :data:`sys.meta_path`, so nothing is imported eagerly:
a placeholder module is created only when the upstream package imports it.

Changes of behaviour or speed are not applied here but by explicit calls,
which ``tools/train.py`` and ``tools/test.py`` make:
:func:`mmups.utils.enable_config_text_cache` (formats a config's text once),
:func:`mmups.utils.setup_cpu_launch` (with
:func:`mmups.utils.enable_cpu_dist_launch`: distributed launches without
CUDA) and :func:`mmups.utils.limit_heap_fragmentation` (glibc's malloc).
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os.path as osp
import pickle
import sys
import types
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable, Dict, Optional

__all__ = [
    'APPLIED', 'CompatWarning', 'MMCVOpsUnavailableError', 'apply_all',
    'shim_mmaction_drn', 'shim_mmaction_multimodal', 'shim_mmcv_ops',
    'shim_mmpose_simcc_vis', 'shim_torch_load_safe_globals',
    'check_pkg_resources'
]

#: Shim name -> whether it was needed (and applied) in this process.
APPLIED: Dict[str, bool] = {}

#: Where full mmcv (with compiled ops) is described, for error messages.
OPTIONAL_REQUIREMENTS = 'requirements/optional.txt'


class CompatWarning(UserWarning):
    """A problem of the installed stack that mmups cannot work around."""


class MMCVOpsUnavailableError(ImportError):
    """An ``mmcv.ops`` operator was used, but only mmcv-lite is installed."""


# --------------------------------------------------------------------------
# Lazy placeholder modules
# --------------------------------------------------------------------------
Builder = Callable[[types.ModuleType], None]


class _PlaceholderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves placeholder modules for names registered with :meth:`add`.

    Placed first in :data:`sys.meta_path` so that it wins over a real but
    broken file (e.g. ``mmpose/visualization/simcc_vis.py``, which imports
    an absent torchvision). Every placeholder is a package (empty
    ``__path__``) so that nested imports below it reach this finder too.
    """

    #: Marks instances across reloads of this module (keeps apply idempotent).
    is_mmups_placeholder_finder = True

    def __init__(self) -> None:
        self.exact: Dict[str, Builder] = {}
        self.prefixes: Dict[str, Builder] = {}

    def add(self, name: str, builder: Builder,
            with_submodules: bool = False) -> None:
        """Serve ``name`` (and ``name.*`` if asked) built by ``builder``."""
        self.exact[name] = builder
        if with_submodules:
            self.prefixes[name + '.'] = builder

    def _builder(self, fullname: str) -> Optional[Builder]:
        if fullname in self.exact:
            return self.exact[fullname]
        for prefix, builder in self.prefixes.items():
            if fullname.startswith(prefix):
                return builder
        return None

    def find_spec(
            self, fullname: str, path: Any = None,
            target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        """Return a spec for a registered placeholder, else ``None``."""
        if self._builder(fullname) is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        """Use the default module creation."""
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        """Fill the placeholder module with its builder."""
        self._builder(module.__name__)(module)


def _placeholder_finder() -> _PlaceholderFinder:
    """Return the finder in :data:`sys.meta_path`, inserting it once."""
    for finder in sys.meta_path:
        if getattr(finder, 'is_mmups_placeholder_finder', False):
            return finder  # type: ignore[return-value]
    finder = _PlaceholderFinder()
    sys.meta_path.insert(0, finder)
    return finder


def _package_dir(package: str) -> Optional[str]:
    """Directory of an installed top-level package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def _has_module(package_dir: str, fullname: str) -> bool:
    """Whether ``fullname`` exists as a file or folder in ``package_dir``.

    Looks at the file system only, so that the (possibly broken) parent
    package is not imported.
    """
    parts = fullname.split('.')
    search = [osp.join(package_dir, *parts[1:-1])]
    return importlib.machinery.PathFinder.find_spec(
        fullname, search) is not None


def _record(name: str, applied: bool) -> bool:
    APPLIED[name] = APPLIED.get(name, False) or applied
    return applied


# --------------------------------------------------------------------------
# (a) mmaction2 1.2.0: localizers/drn missing from the wheel
# --------------------------------------------------------------------------
_DRN = 'mmaction.models.localizers.drn'


def _build_drn_package(module: types.ModuleType) -> None:
    module.__doc__ = ('Placeholder for the DRN localizer, which the mmaction2 '
                      'wheel does not ship (see mmups.utils.compat).')
    if module.__name__ != _DRN + '.drn':
        return

    class DRN:
        """Placeholder of MMAction2's DRN localizer (absent from the wheel).

        Raises:
            ImportError: always; DRN cannot be used from this installation.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError(
                'DRN is not available: the installed mmaction2 wheel lacks '
                'mmaction/models/localizers/drn (an upstream packaging '
                'omission). Install mmaction2 from its source repository if '
                'you need DRN.')

    DRN.__module__ = module.__name__
    module.DRN = DRN
    from mmaction.registry import MODELS
    if MODELS.get('DRN') is None:
        # As upstream registers its own placeholders (VindLU): a config
        # asking for DRN gets the clear error above, not a KeyError.
        MODELS.register_module(name='DRN', module=DRN)


def shim_mmaction_drn() -> bool:
    """Serve a placeholder ``mmaction.models.localizers.drn`` if it is absent.

    Upstream problem: the mmaction2 1.2.0 wheel omits the
    ``localizers/drn`` folder, while ``mmaction/models/localizers/__init__``
    imports ``.drn.drn.DRN``; so ``import mmaction.models`` raises
    ``ModuleNotFoundError``. The placeholder's ``DRN`` raises a clear
    :class:`ImportError` when instantiated.

    Returns:
        bool: whether the placeholder was needed.
    """
    root = _package_dir('mmaction')
    needed = root is not None and not _has_module(root, _DRN)
    if needed:
        _placeholder_finder().add(_DRN, _build_drn_package,
                                  with_submodules=True)
    return _record('mmaction_drn', needed)


# --------------------------------------------------------------------------
# (b) mmaction2 multimodal models with transformers 5 / without timm
# --------------------------------------------------------------------------
def _multimodal_importable() -> bool:
    """Whether MMAction2's VindLU modules can be imported here.

    They import ``apply_chunking_to_forward`` from
    ``transformers.modeling_utils`` (gone in transformers 5) and ``timm``.
    Decided from metadata so that transformers itself is not imported.
    """
    if importlib.util.find_spec('timm') is None:
        return False
    try:
        major = int(version('transformers').split('.')[0])
    except (PackageNotFoundError, ValueError):
        return False
    return major < 5


def shim_mmaction_multimodal() -> bool:
    """Turn off MMAction2's multimodal models when they cannot import.

    Upstream problem: ``mmaction.utils.dependency.WITH_MULTIMODAL`` is true
    whenever ``transformers>=4.28`` is installed, and ``mmaction.models``
    then imports the VindLU models, which need ``timm`` and the
    ``transformers.modeling_utils.apply_chunking_to_forward`` removed in
    transformers 5: ``import mmaction.models`` fails. With the flag off,
    MMAction2 registers its own placeholders for the VindLU models, which
    raise an ImportError naming the missing extras when built. Must run
    before ``mmaction.models`` is imported (registry lazy imports do that).

    Returns:
        bool: whether the flag had to be turned off.
    """
    if importlib.util.find_spec('mmaction') is None:
        return _record('mmaction_multimodal', False)
    from mmaction.utils import dependency
    needed = bool(dependency.WITH_MULTIMODAL) and not _multimodal_importable()
    if needed:
        dependency.WITH_MULTIMODAL = False
    return _record('mmaction_multimodal', needed)


# --------------------------------------------------------------------------
# (c) mmcv-lite: no compiled mmcv.ops
# --------------------------------------------------------------------------
_MISSING_OPS: Dict[str, type] = {}


def _missing_op(name: str) -> type:
    """A stand-in for ``mmcv.ops.<name>`` that raises when used.

    A class (not a function) so that module-level imports, ``isinstance``
    checks and subclass definitions in MMPose / MMDetection keep working;
    calling or instantiating it raises :class:`MMCVOpsUnavailableError`.
    One object per name, shared by ``mmcv.ops`` and its submodules.
    """
    if name not in _MISSING_OPS:
        message = (
            f'mmcv.ops.{name} needs the compiled operators of full mmcv, but '
            'only mmcv-lite is installed (no mmcv._ext). Install full mmcv '
            f'as described in {OPTIONAL_REQUIREMENTS} of mmups.')

        def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
            raise MMCVOpsUnavailableError(message)

        _MISSING_OPS[name] = type(
            name, (), {
                '__new__': __new__,
                '__module__': 'mmcv.ops',
                '__doc__': f'Placeholder: {message}'
            })
    return _MISSING_OPS[name]


class _MissingOpsModule(types.ModuleType):
    """Module type of the placeholder ``mmcv.ops`` and its submodules.

    Unknown public attributes are stand-ins from :func:`_missing_op`.
    Importing a submodule (``mmcv.ops.nms``) binds it on the package under
    the same name as the operator, as in real mmcv before its ``__init__``
    rebinds it; so a placeholder submodule is callable too and raises the
    same clear error as the operator.
    """

    def __getattr__(self, name: str) -> type:
        # Private and dunder names stay missing, so that import machinery,
        # inspect and pickle see an ordinary module.
        if name.startswith('_'):
            raise AttributeError(name)
        return _missing_op(name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _missing_op(self.__name__.rpartition('.')[2])()


def _build_mmcv_ops(module: types.ModuleType) -> None:
    module.__doc__ = ('Placeholder for mmcv.ops (mmcv-lite has no compiled '
                      f'ops); see mmups.utils.compat and '
                      f'{OPTIONAL_REQUIREMENTS}.')
    module.__all__ = []  # ``from mmcv.ops import *`` binds nothing
    module.__class__ = _MissingOpsModule


def shim_mmcv_ops() -> bool:
    """Serve a placeholder ``mmcv.ops`` when mmcv has no compiled ops.

    Upstream problem: mmcv-lite ships ``mmcv/ops/*.py`` but not the compiled
    ``mmcv._ext``, so ``import mmcv.ops`` raises; ``mmpose.models`` (EDPose
    head) and ``mmdet.models`` import operators from it at module level.
    With full mmcv installed (``mmcv._ext`` present) nothing is changed.
    Every attribute of the placeholder is a stand-in that raises
    :class:`MMCVOpsUnavailableError` (naming ``requirements/optional.txt``)
    when called. Since ``mmcv.utils.ext_loader`` is bypassed, mmengine's
    ``mmcv_full_available()`` still (correctly) reports False.

    Returns:
        bool: whether the placeholder was needed.
    """
    root = _package_dir('mmcv')
    needed = (root is not None and 'mmcv.ops' not in sys.modules
              and not _has_module(root, 'mmcv._ext'))
    if needed:
        _placeholder_finder().add('mmcv.ops', _build_mmcv_ops,
                                  with_submodules=True)
    return _record('mmcv_ops', needed)


# --------------------------------------------------------------------------
# (d) mmpose visualization without torchvision
# --------------------------------------------------------------------------
_SIMCC_VIS = 'mmpose.visualization.simcc_vis'


def _build_simcc_vis(module: types.ModuleType) -> None:
    module.__doc__ = ('Placeholder for mmpose.visualization.simcc_vis, '
                      'which needs torchvision (not installed).')

    class SimCCVisualizer:
        """Placeholder of MMPose's SimCC heatmap drawer (needs torchvision).

        Raises:
            ImportError: when instantiated.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError(
                'Drawing SimCC heatmaps (mmpose SimCCVisualizer) needs '
                'torchvision, which is not installed. Install a torchvision '
                'build that matches your torch to use it.')

    SimCCVisualizer.__module__ = module.__name__
    module.SimCCVisualizer = SimCCVisualizer


def shim_mmpose_simcc_vis() -> bool:
    """Serve a torchvision-free ``mmpose.visualization.simcc_vis``.

    Upstream problem: ``mmpose.visualization`` imports ``simcc_vis``, whose
    only use of torchvision is ``ToPILImage`` for drawing SimCC heatmaps;
    without torchvision every MMPose visualizer (and so a Runner with
    ``default_scope='mmpose'``) fails to import. Only that module is
    replaced, and only when torchvision is absent: ``PoseLocalVisualizer``
    and ``Pose3dLocalVisualizer`` keep working, and the SimCC heatmap drawer
    raises a clear ImportError. torchvision itself is not faked, since other
    packages probe for it to decide what they can use.

    Returns:
        bool: whether the placeholder was needed.
    """
    needed = (importlib.util.find_spec('mmpose') is not None
              and importlib.util.find_spec('torchvision') is None)
    if needed:
        _placeholder_finder().add(_SIMCC_VIS, _build_simcc_vis)
    return _record('mmpose_simcc_vis', needed)


# --------------------------------------------------------------------------
# (e) torch >= 2.6: torch.load(weights_only=True) and mmengine checkpoints
# --------------------------------------------------------------------------
#: Methods that ``HistoryBuffer._set_default_statistics`` registers; its
#: ``__getstate__`` pickles them as ``getattr(HistoryBuffer, name)``.
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to what mmengine checkpoints need.

    Installed as ``builtins.getattr`` for the weights-only unpickler only, so
    that a checkpoint cannot reach any other attribute of any object.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        'mmups allows getattr in weights-only checkpoints only for the '
        f'statistics methods of mmengine HistoryBuffer, not {obj!r}.{name}')


def _numpy_safe_globals() -> list:
    """The numpy globals that mmengine checkpoints were seen to contain.

    Measured by saving checkpoints with an mmengine Runner (message hub
    with HistoryBuffers of float64 values and int64 counts; numpy scalars in
    the runtime info; a float32 ``best_score`` from a metric; dataset
    metainfo with arrays of other dtypes) and loading them with
    ``weights_only=True``. Array reconstruction globals are listed
    under both numpy 1 (``numpy.core``) and numpy 2 (``numpy._core``)
    spellings, so checkpoints written under either load.
    """
    import numpy as np
    try:
        multiarray = importlib.import_module('numpy._core.multiarray')
    except ImportError:
        multiarray = importlib.import_module('numpy.core.multiarray')
    entries: list = [np.ndarray, np.dtype]
    for core in ('numpy.core', 'numpy._core'):
        entries.append((multiarray._reconstruct,
                        f'{core}.multiarray._reconstruct'))
        entries.append((multiarray.scalar, f'{core}.multiarray.scalar'))
    # dtype instances are rebuilt with BUILD, which checks their class.
    # Every numeric / bool / string dtype class is listed, not only those
    # first measured (float64, int64, float32): checkpoints also store the
    # dataset metainfo, and MMPose's holds e.g. uint8 colour arrays. Dtype
    # classes are inert type objects; ``object`` arrays stay refused (their
    # items would need further, unlisted globals).
    codes = np.typecodes['All'].replace('O', '')
    entries += sorted({type(np.dtype(c)) for c in codes}, key=str)
    # Numpy scalars with an empty payload are pickled through bytes().
    entries.append(bytes)
    return entries


def shim_torch_load_safe_globals() -> bool:
    """Allow-list the globals of mmengine checkpoints for weights-only loads.

    Upstream problem: torch >= 2.6 defaults ``torch.load`` to
    ``weights_only=True``, which refuses mmengine checkpoints (their message
    hub pickles ``HistoryBuffer`` objects holding numpy arrays); loading one
    fails with "Unsupported global: mmengine.logging.history_buffer.
    HistoryBuffer". Instead of loading with ``weights_only=False`` (which
    runs arbitrary code from the file), exactly the globals those checkpoints
    contain are added with :func:`torch.serialization.add_safe_globals`;
    ``getattr`` is served by :func:`_history_buffer_getattr`, restricted to
    the HistoryBuffer methods that are pickled by reference. Everything else
    stays refused.

    Returns:
        bool: whether the allow-list was added (torch has weights-only
        loading with user allow-lists).
    """
    import torch
    serialization = torch.serialization
    if not hasattr(serialization, 'add_safe_globals') or \
            importlib.util.find_spec('mmengine') is None:
        return _record('torch_load_safe_globals', False)
    from mmengine.logging.history_buffer import HistoryBuffer
    entries = [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')]
    entries += _numpy_safe_globals()
    # get_safe_globals is newer than add_safe_globals (torch 2.5 vs 2.4).
    present = getattr(serialization, 'get_safe_globals', list)()
    serialization.add_safe_globals([e for e in entries if e not in present])
    return _record('torch_load_safe_globals', True)


# --------------------------------------------------------------------------
# (f) setuptools >= 81: no pkg_resources
# --------------------------------------------------------------------------
def check_pkg_resources() -> bool:
    """Warn when ``pkg_resources`` is missing (setuptools >= 81).

    Upstream problem: mmengine's ``is_installed`` / ``get_installed_path``
    use ``pkg_resources``; without it, configs that inherit across packages
    (``_base_ = 'mmaction::...'``, ``'mmpose::...'``) fail with an obscure
    error. This cannot be patched safely, so a :class:`CompatWarning` says
    what to install.

    Returns:
        bool: whether ``pkg_resources`` is missing.
    """
    missing = importlib.util.find_spec('pkg_resources') is None
    if missing:
        warnings.warn(
            'pkg_resources is not importable (setuptools >= 81 removed it); '
            'mmengine needs it for configs that inherit from other packages '
            "(e.g. _base_ = 'mmaction::...'). Install 'setuptools<81' as "
            'pinned in requirements/runtime.txt.',
            CompatWarning, stacklevel=2)
    return _record('pkg_resources_missing', missing)


def apply_all() -> Dict[str, bool]:
    """Apply every shim whose problem is detected; safe to call repeatedly.

    The mmcv.ops placeholder goes first: importing ``mmaction`` (for the
    multimodal flag) imports mmcv modules that probe ``mmcv.ops``.

    Returns:
        dict: :data:`APPLIED`, shim name -> whether it was needed.
    """
    shim_mmcv_ops()
    shim_mmaction_drn()
    shim_mmpose_simcc_vis()
    shim_mmaction_multimodal()
    shim_torch_load_safe_globals()
    check_pkg_resources()
    return APPLIED


apply_all()
