import pytest
import torch

from mmups.models import UPSDataPreprocessor
from mmups.structures import UPSDataSample


def sample(layout='nturgb+d', **meta):
    return UPSDataSample(metainfo=dict(task='ar3d', layout=layout, **meta))


def test_pads_z_persons_and_joints():
    pre = UPSDataPreprocessor()
    data = dict(inputs=[torch.rand(1, 8, 17, 2), torch.rand(1, 2, 8, 25, 3)],
                data_samples=[sample('coco'), sample('nturgb+d')])
    out = pre(data)
    x = out['inputs']
    assert x.shape == (2, 2, 8, 25, 3)
    assert x[0, :, :, :, 2].abs().sum() == 0  # 2D: Z padded with zeros
    assert x[0, 1].abs().sum() == 0  # missing person
    assert x[0, 0, :, 17:].abs().sum() == 0  # joints beyond COCO-17
    assert torch.equal(x[1], data['inputs'][1][0])  # MMAction2's clip dim


@pytest.mark.parametrize('bad, message', [
    (float('nan'), 'NaN or infinite'),
    (float('inf'), 'NaN or infinite'),
])
def test_non_finite_names_the_sample(bad, message):
    x = torch.rand(1, 4, 25, 3)
    x[0, 1, 2, 0] = bad
    with pytest.raises(ValueError, match=f"frame_dir='S001'.*{message}"):
        UPSDataPreprocessor()(dict(inputs=[x], data_samples=[
            sample(frame_dir='S001')]))


def test_shape_errors():
    pre = UPSDataPreprocessor()
    with pytest.raises(ValueError, match="'coco' has 17 joints.*V=25"):
        pre(dict(inputs=[torch.rand(1, 4, 25, 3)],
                 data_samples=[sample('coco')]))
    with pytest.raises(ValueError, match='different numbers of frames'):
        pre(dict(inputs=[torch.rand(1, 4, 25, 3), torch.rand(1, 5, 25, 3)],
                 data_samples=[sample(), sample()]))
    with pytest.raises(ValueError, match='empty'):
        pre(dict(inputs=[torch.rand(1, 0, 25, 3)], data_samples=[sample()]))
    with pytest.raises(ValueError, match='coordinates per joint'):
        pre(dict(inputs=[torch.rand(1, 4, 25, 4)], data_samples=[sample()]))
    with pytest.raises(ValueError, match=r"sample 1 \(frame_dir='b'\) has 3 "
                       r"clips, sample 0 \(frame_dir='a'\) 2.*same num_clips"):
        pre(dict(inputs=[torch.rand(2, 1, 4, 25, 3),
                         torch.rand(3, 1, 4, 25, 3)],
                 data_samples=[sample(frame_dir='a'), sample(frame_dir='b')]))
    with pytest.raises(ValueError, match='got shape'):
        pre(dict(inputs=[torch.rand(1, 2, 1, 4, 25, 3)],
                 data_samples=[sample()]))


def test_several_clips_per_sample():
    """(K, M, T, V, C) clips -> (N, K, M, T, V_max, 3): row i holds sample
    i's clips in their order, padded as single clips are."""
    pre = UPSDataPreprocessor()
    coco = torch.rand(3, 1, 8, 17, 2)
    ntu = torch.rand(3, 2, 8, 25, 3)
    out = pre(dict(inputs=[coco, ntu],
                   data_samples=[sample('coco'), sample('nturgb+d')]))
    x = out['inputs']
    assert x.shape == (2, 3, 2, 8, 25, 3)
    assert torch.equal(x[1], ntu)
    assert torch.equal(x[0, :, :1, :, :17, :2], coco)
    assert x[0, :, :, :, :, 2].abs().sum() == 0  # 2D: Z padded with zeros
    assert x[0, :, 1].abs().sum() == 0  # missing person
    assert x[0, :, :, :, 17:].abs().sum() == 0  # joints beyond COCO-17
    for k in range(3):  # each clip as its own single-clip batch
        single = pre(dict(inputs=[coco[k], ntu[k]],
                          data_samples=[sample('coco'), sample('nturgb+d')]))
        assert torch.equal(x[:, k], single['inputs'])
