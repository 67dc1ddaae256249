"""MATLAB ``.mat`` files (Penn Action's labels), read by scipy after a check
of their element structure.

scipy's reader of version 5 MAT-files looks up the data type code of each
element in a C table without checking it first, so a damaged file whose
numeric element carries an unknown code crashes the process (a segmentation
fault, not an exception). :func:`load_mat` walks the elements first -
through the zlib-compressed ones - and refuses such a file with a
:class:`ConversionError` naming it.

Version 5 layout: a 128-byte header (text, version, the byte order ``IM``
or ``MI`` at bytes 126-127), then elements of an 8-byte tag (data type
code, byte count) and their data, padded to 8 bytes inside an array; a tag
whose upper 16 bits are set is a small element (2-byte count, 2-byte type,
4 bytes of data). A top-level element is an array (``miMATRIX``) or a
compressed one (``miCOMPRESSED``, a zlib stream of one array); an array
holds its flags (class in the low byte), dimensions, name and data
elements, and - for cell, struct and object arrays - further arrays. The
check also counts the elements of numeric, text and sparse arrays: scipy
reads the imaginary part of an array flagged complex from whatever follows.
"""
import io
import struct
import zlib
from typing import Any, Dict, Iterator, Tuple

from .files import ConversionError

MI_MATRIX = 14
MI_COMPRESSED = 15
#: Data types of the elements scipy reads as numbers or text: int8 ...
#: single (1-7), double (9), int64, uint64 (12, 13), utf8/16/32 (16-18).
DATA_TYPES = frozenset((1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 16, 17, 18))
#: Array classes whose data are further arrays: cell, struct, object,
#: function, opaque.
CONTAINER_CLASSES = frozenset((1, 2, 3, 16, 17))
#: Numeric array classes: double ... uint64; their elements are flags,
#: dimensions, name, real part and - complex flag set - imaginary part.
NUMERIC_CLASSES = frozenset(range(6, 16))
CHAR_CLASS = 4  # flags, dimensions, name, text
SPARSE_CLASS = 5  # flags, dimensions, name, ir, jc, real [, imaginary]


def load_mat(path: str) -> Dict[str, Any]:
    """``scipy.io.loadmat`` of a file whose elements were checked first.

    Raises:
        ConversionError: the file is corrupt or unreadable (names it).
        FileNotFoundError / OSError: it cannot be opened.
    """
    from scipy.io import loadmat
    with open(path, 'rb') as f:
        data = f.read()
    try:
        check_mat5_elements(data)
        return loadmat(io.BytesIO(data))
    except Exception as e:  # scipy raises several kinds for corrupt files
        raise ConversionError(path, f'cannot read MATLAB file ({e})') from e


def check_mat5_elements(data: bytes) -> None:
    """Raise ValueError where an element of a version 5 MAT-file has a data
    type that scipy's reader would crash on (other files pass: scipy
    reports their problems itself)."""
    if len(data) < 128 or data[126:128] not in (b'IM', b'MI'):
        return  # not version 5
    order = '<' if data[126:128] == b'IM' else '>'
    for mdtype, start, end in _elements(data, 128, len(data), order, False):
        if mdtype == MI_COMPRESSED:
            try:  # as much as there is: some writers leave streams open
                inner = zlib.decompressobj().decompress(data[start:end])
            except zlib.error as e:
                raise ValueError(f'corrupt compressed element ({e})') from e
            for mdtype, start, end in _elements(inner, 0, len(inner), order,
                                                True):
                if mdtype == MI_MATRIX:
                    _check_array(inner, start, end, order)
        elif mdtype == MI_MATRIX:
            _check_array(data, start, end, order)


def _elements(data: bytes, start: int, end: int, order: str,
              padded: bool) -> Iterator[Tuple[int, int, int]]:
    """(data type, data start, data end) of the elements in
    ``data[start:end]``; ``padded``: each one's data padded to 8 bytes
    (inside arrays; top-level elements follow each other unpadded)."""
    pos = start
    while pos + 8 <= end:
        mdtype, count = struct.unpack_from(order + 'II', data, pos)
        if mdtype >> 16:  # small element: the data sit in the tag
            mdtype, count = mdtype & 0xFFFF, mdtype >> 16
            if count > 4:
                raise ValueError(f'small element of {count} bytes (at most '
                                 '4)')
            yield mdtype, pos + 4, pos + 4 + count
            pos += 8
            continue
        if pos + 8 + count > end:
            raise ValueError(f'element of {count} bytes past the end of its '
                             'array or file (truncated?)')
        yield mdtype, pos + 8, pos + 8 + count
        pos += 8 + (count + 7) // 8 * 8 if padded else 8 + count


def _check_array(data: bytes, start: int, end: int, order: str) -> None:
    """Check the elements of one array (recursively for container
    classes)."""
    elements = list(_elements(data, start, end, order, True))
    if not elements:
        return  # an empty array
    _, flags_start, flags_end = elements[0]
    flags = (struct.unpack_from(order + 'I', data, flags_start)[0]
             if flags_end - flags_start >= 4 else 0)
    cls, is_complex = flags & 0xFF, flags >> 11 & 1
    # scipy reads as many elements as the class and flags call for, past
    # the array's end where it has fewer (and then crashes on the bytes).
    count = (4 + is_complex if cls in NUMERIC_CLASSES else
             4 if cls == CHAR_CLASS else
             6 + is_complex if cls == SPARSE_CLASS else None)
    if count is not None and len(elements) != count:
        raise ValueError(f'an array of class {cls}'
                         f'{" (complex)" if is_complex else ""} has '
                         f'{len(elements)} elements, not {count}')
    for mdtype, sub_start, sub_end in elements:
        if mdtype == MI_MATRIX and cls in CONTAINER_CLASSES:
            _check_array(data, sub_start, sub_end, order)
        elif mdtype not in DATA_TYPES:
            raise ValueError(f'an element of unknown data type {mdtype} in '
                             f'an array of class {cls}')
