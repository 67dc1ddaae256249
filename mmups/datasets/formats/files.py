"""Reading the files that skeleton formats are stored in: JSON text and
pickles of numpy arrays, with errors that name the file."""
import json
import pickle
from typing import Any, Dict, Optional, Tuple

import numpy as np

__all__ = ['ConversionError', 'ArrayUnpickler', 'load_json', 'load_pickle',
           'is_int']


class ConversionError(ValueError):
    """A skeleton file is malformed or cannot be read.

    The message always names the file (and the line where that is known), so
    that a user converting thousands of files can find and fix the bad one.

    Args:
        path: the offending file.
        message: what is wrong with it.
        line: 1-based line number, where the format is line-based.
    """

    def __init__(self, path: str, message: str,
                 line: Optional[int] = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = path if line is None else f'{path}, line {line}'
        super().__init__(f'{where}: {message}')


def is_int(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy integer (not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_))


def load_json(path: str) -> Any:
    """The content of a UTF-8 JSON file.

    Raises:
        ConversionError: it is not valid JSON (with the line), not UTF-8
            text, or beyond what Python reads (nesting, huge integers).
        FileNotFoundError / OSError: it cannot be opened.
    """
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise ConversionError(path, f'not valid JSON: {err.msg} (column '
                              f'{err.colno})', err.lineno) from None
    except UnicodeError as err:
        raise ConversionError(path, f'not a UTF-8 text file ({err})') \
            from None
    except ValueError as err:  # an integer of more than 4300 digits
        raise ConversionError(path, f'not readable JSON ({err})') from None
    except RecursionError:
        raise ConversionError(path, 'not readable JSON: nested too deeply') \
            from None


def _pickle_allow_list() -> Dict[Tuple[str, str], Any]:
    """The globals a pickle of numpy arrays and builtin containers uses,
    under numpy 1 and numpy 2 module names (files come from either)."""
    import codecs
    import collections
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 1.26
        from numpy.core import multiarray, numeric
    allowed: Dict[Tuple[str, str], Any] = {
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): np.dtype,
        # Protocol 2 pickles write bytes as _codecs.encode(text, 'latin1').
        ('_codecs', 'encode'): codecs.encode,
        ('collections', 'OrderedDict'): collections.OrderedDict,
    }
    for core in ('numpy.core', 'numpy._core'):
        allowed[(f'{core}.multiarray', '_reconstruct')] = \
            multiarray._reconstruct
        allowed[(f'{core}.multiarray', 'scalar')] = multiarray.scalar
        allowed[(f'{core}.numeric', '_frombuffer')] = numeric._frombuffer
    for builtins in ('builtins', '__builtin__'):  # Python 3 / 2 names
        allowed[(builtins, 'set')] = set
        allowed[(builtins, 'frozenset')] = frozenset
    return allowed


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and builtin containers, nothing else."""

    _allowed: Optional[Dict[Tuple[str, str], Any]] = None

    def find_class(self, module: str, name: str) -> Any:
        if ArrayUnpickler._allowed is None:
            ArrayUnpickler._allowed = _pickle_allow_list()
        try:
            return ArrayUnpickler._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f'refusing to load {module}.{name}: skeleton annotation '
                'files may hold only numpy arrays, numpy scalars and builtin '
                'containers (other objects could run code when loaded)'
            ) from None


def load_pickle(path: str) -> Any:
    """The content of a pickle of numpy arrays and builtin containers (as
    MMAction2 / MMPose annotation and camera files are); refuses any other
    object, which could run code when loaded.

    Raises:
        ConversionError: truncated, malformed or holding other objects.
        FileNotFoundError / OSError: it cannot be opened.
    """
    with open(path, 'rb') as f:
        try:
            return ArrayUnpickler(f).load()
        except EOFError:
            raise ConversionError(
                path, 'truncated pickle file (ran out of data)') from None
        except pickle.UnpicklingError as err:
            raise ConversionError(path, f'cannot unpickle: {err}') from None
        except Exception as err:  # malformed pickles raise many kinds
            raise ConversionError(
                path, f'not a readable pickle file ({type(err).__name__}: '
                f'{err})') from None
