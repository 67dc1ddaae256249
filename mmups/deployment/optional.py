"""The optional packages of deployment, imported where they are used.

``onnx`` (export, checks) and ``onnxruntime`` (inference) are not needed by
the rest of mmups; ``requirements/optional.txt`` and the lock pin them.
"""
import importlib
from types import ModuleType

#: Import name -> the version ``requirements/optional.txt`` pins.
PINNED = {'onnx': '1.23.2', 'onnxruntime': '1.32.0'}


def import_optional(name: str, purpose: str) -> ModuleType:
    """Import ``name``, or say which package ``purpose`` needs and how to
    install it.

    Raises:
        ImportError: naming the package and ``requirements/optional.txt``.
    """
    try:
        return importlib.import_module(name)
    except ImportError as err:
        version = PINNED.get(name)
        pin = f'{name}=={version}' if version else name
        raise ImportError(
            f'{purpose} needs the package {name!r}, which is not installed: '
            f'pip install {pin} (pinned in requirements/optional.txt and '
            'requirements/lock.txt)') from err
