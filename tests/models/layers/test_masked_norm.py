"""GroupNorm and LayerNorm with statistics over the filled slots only."""
import torch
import torch.nn.functional as F
from torch import nn

from mmups.models.layers import masked_group_norm, masked_layer_norm


def random_norm(norm):
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    return norm


def test_masked_group_norm_is_group_norm_of_the_filled_joints():
    torch.manual_seed(0)
    norm = random_norm(nn.GroupNorm(2, 6))
    x = torch.randn(2, 6, 4, 9) * 3 + 1
    mask = torch.zeros(2, 9, dtype=torch.bool)
    mask[0, [0, 2, 3]] = True
    mask[1, 4:] = True
    out = masked_group_norm(norm, x, mask)
    for i in range(2):
        assert torch.allclose(out[i][..., mask[i]],
                              norm(x[i:i + 1][..., mask[i]])[0], atol=1e-5)
        assert out[i][..., ~mask[i]].abs().max() == 0
    # The empty joints' values do not matter.
    noisy = x + torch.randn(x.shape) * 10 * (~mask)[:, None, None, :]
    assert torch.equal(masked_group_norm(norm, noisy, mask), out)
    # With every joint filled it is plain GroupNorm.
    full = torch.ones(2, 9, dtype=torch.bool)
    assert torch.allclose(masked_group_norm(norm, x, full), norm(x),
                          atol=1e-5)


def test_masked_layer_norm_is_layer_norm_of_the_filled_entries():
    torch.manual_seed(0)
    norm = random_norm(nn.LayerNorm(8))
    x = torch.randn(2, 3, 8) * 2 - 1
    entries = torch.tensor([[1, 1, 0, 0, 1, 1, 0, 0],
                            [0, 0, 1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    out = masked_layer_norm(norm, x, entries)
    for i in range(2):
        e = entries[i]
        expected = F.layer_norm(x[i][:, e], (int(e.sum()), ),
                                norm.weight[e], norm.bias[e], norm.eps)
        assert torch.allclose(out[i][:, e], expected, atol=1e-5)
        assert out[i][:, ~e].abs().max() == 0


def test_low_precision_inputs_keep_their_dtype():
    """Under autocast the statistics are taken in float32: the result is
    the float32 one rounded to the input's dtype."""
    torch.manual_seed(0)
    norm = random_norm(nn.GroupNorm(1, 4))
    x = (torch.randn(1, 4, 64, 30) * 50 + 200).bfloat16()
    mask = torch.ones(1, 30, dtype=torch.bool)
    mask[0, 20:] = False
    half = masked_group_norm(norm, x, mask)
    assert half.dtype == torch.bfloat16
    exact = masked_group_norm(norm, x.float(), mask)
    assert torch.equal(half, exact.bfloat16())
