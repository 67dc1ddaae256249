"""mmups.datasets.formats.files: the JSON and pickle readers that the
converters and inference inputs share."""
import collections
import pickle

import numpy as np
import pytest

from mmups.datasets.formats import (ConversionError, is_int, load_json,
                                    load_pickle)


def test_load_json_names_the_file_and_line(tmp_path):
    good = tmp_path / 'good.json'
    good.write_text('{"a": [1, 2]}')
    assert load_json(str(good)) == {'a': [1, 2]}
    bad = tmp_path / 'bad.json'
    bad.write_text('{\n"a": [1, 2\n}')
    with pytest.raises(ConversionError) as err:
        load_json(str(bad))
    assert err.value.path == str(bad) and err.value.line == 3
    assert str(err.value).startswith(f'{bad}, line 3: not valid JSON')
    latin = tmp_path / 'latin.json'
    latin.write_bytes('{"a": "\xe9"}'.encode('latin-1'))
    with pytest.raises(ConversionError, match=r'latin\.json: not a UTF-8'):
        load_json(str(latin))


class NotAnArray:
    """Any class: pickles of it could run code when loaded."""


def test_load_pickle_reads_arrays_and_refuses_objects(tmp_path):
    data = dict(split={'train': ['a']}, annotations=[dict(
        keypoint=np.ones((1, 2, 3, 2), np.float32), label=np.int64(3),
        names=collections.OrderedDict(x=1), tags={'t'})])
    path = tmp_path / 'anno.pkl'
    for protocol in (2, 4):
        path.write_bytes(pickle.dumps(data, protocol=protocol))
        out = load_pickle(str(path))
        assert out['split'] == data['split']
        np.testing.assert_array_equal(out['annotations'][0]['keypoint'],
                                      data['annotations'][0]['keypoint'])
        assert out['annotations'][0]['label'] == 3
    evil = tmp_path / 'evil.pkl'
    evil.write_bytes(pickle.dumps(NotAnArray()))
    with pytest.raises(ConversionError,
                       match=r'evil\.pkl: cannot unpickle: refusing to load '
                       r'.*NotAnArray'):
        load_pickle(str(evil))
    cut = tmp_path / 'cut.pkl'
    cut.write_bytes(pickle.dumps(data)[:40])
    with pytest.raises(ConversionError, match=r'cut\.pkl: .*truncated'):
        load_pickle(str(cut))
    with pytest.raises(FileNotFoundError):
        load_pickle(str(tmp_path / 'missing.pkl'))


def test_is_int():
    assert is_int(3) and is_int(np.int64(-1)) and is_int(np.uint8(2))
    assert not any(is_int(v) for v in (True, np.bool_(True), 3.0, '3',
                                       None))
