"""mmups.datasets.formats.matlab: MAT-files checked before scipy reads
them (scipy crashes on unknown element data types)."""
import io
import struct
import zlib

import numpy as np
import pytest
from scipy.io import savemat

from mmups.datasets.formats import ConversionError
from mmups.datasets.formats.matlab import load_mat

#: Where the real part's tag of the first array of an uncompressed file
#: written by scipy starts: the header (128), the array's tag (8), flags
#: (16), dimensions of a 2-D array (16), a name of up to 4 bytes (8).
DATA_TAG = 128 + 8 + 16 + 16 + 8


def _mat(content: dict, compress: bool = False) -> bytes:
    buf = io.BytesIO()
    savemat(buf, content, do_compression=compress)
    return buf.getvalue()


def _with_data_type(data: bytes, code: int) -> bytes:
    """``data`` with the first array's real part tagged ``code``."""
    patched = bytearray(data)
    assert struct.unpack_from('<I', patched, DATA_TAG)[0] == 7  # single
    struct.pack_into('<I', patched, DATA_TAG, code)
    return bytes(patched)


def _compressed(plain: bytes) -> bytes:
    """The arrays of an uncompressed file as one compressed element."""
    inner = zlib.compress(plain[128:])
    return plain[:128] + struct.pack('<II', 15, len(inner)) + inner


def test_valid_files_read_as_scipy_reads_them(tmp_path):
    content = dict(x=np.arange(6, dtype=np.float32).reshape(2, 3),
                   action=np.array(['squat']),
                   cell=np.array([np.ones(2), 'a'], dtype=object),
                   info=dict(train=1))
    for compress in (False, True):
        path = tmp_path / f'clip_{compress}.mat'
        path.write_bytes(_mat(content, compress))
        mat = load_mat(str(path))
        np.testing.assert_array_equal(mat['x'], content['x'])
        assert str(mat['action'][0]) == 'squat'
        assert mat['info']['train'][0, 0][0, 0] == 1


@pytest.mark.parametrize('code', [0, 8, 10, 11, 14, 15, 19, 192])
def test_unknown_data_type_is_an_error_not_a_crash(tmp_path, code):
    # scipy's reader would dereference a NULL or wild pointer on these.
    plain = _with_data_type(_mat(dict(x=np.ones((2, 3), np.float32))), code)
    for name, data in (('plain', plain), ('compressed', _compressed(plain))):
        path = tmp_path / f'{name}.mat'
        path.write_bytes(data)
        with pytest.raises(ConversionError,
                           match=f'unknown data type {code} ') as err:
            load_mat(str(path))
        assert str(path) in str(err.value)


def test_complex_flag_without_imaginary_part(tmp_path):
    # scipy would read the imaginary part from the next array's tag.
    data = bytearray(_mat(dict(x=np.ones((2, 3), np.float32),
                               y=np.ones(2))))
    flags = 128 + 8 + 8  # the first array's flags, after two tags
    struct.pack_into('<I', data, flags,
                     struct.unpack_from('<I', data, flags)[0] | 0x800)
    path = tmp_path / 'complex.mat'
    path.write_bytes(bytes(data))
    with pytest.raises(ConversionError,
                       match='class 7 \\(complex\\) has 4 elements, not 5'):
        load_mat(str(path))


def test_truncated_and_garbled_files(tmp_path):
    data = _mat(dict(x=np.ones((2, 3), np.float32)))
    for name, content in (('cut', data[:-5]), ('zlib', data[:128] +
                                               struct.pack('<II', 15, 8) +
                                               b'\x78\x9c\xff' * 3),
                          ('text', b'not a MATLAB file')):
        path = tmp_path / f'{name}.mat'
        path.write_bytes(content)
        with pytest.raises(ConversionError, match='cannot read MATLAB'):
            load_mat(str(path))
