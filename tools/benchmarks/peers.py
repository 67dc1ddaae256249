"""The single-task peers that UPS is compared with, built from the
OpenMMLab model zoos, and UPS' random inputs in their layouts: an ST-GCN
(MMAction2) per action task, the 27-frame VideoPoseLift TCN (MMPose) for
pose estimation. Used by the speed benchmark
(``tools/analysis/benchmark.py``).
"""
import copy
import os.path as osp
from typing import Optional, Tuple

import torch
from mmengine.config import Config
from torch import Tensor, nn

from mmups.skeleton import get_layout
from mmups.tasks import get_task_kind

#: The repository (the ST-GCN config is in it).
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
STGCN_CONFIG = osp.join(ROOT, 'configs', 'stgcn', 'stgcn_ntu60_xsub_3d.py')
#: MMPose's VideoPose3D config with kernel sizes (3, 3, 3): a 27-frame
#: receptive field, one output frame per window (like UPS' pose estimation).
TCN_CONFIG = ('body_3d_keypoint/video_pose_lift/h36m/'
              'video-pose-lift_tcn-27frm-supv_8xb128-160e_h36m.py')
#: The same model where MMPose's configs are not installed.
TCN_MODEL = dict(
    type='PoseLifter',
    backbone=dict(type='TCN', in_channels=2 * 17, stem_channels=1024,
                  num_blocks=2, kernel_sizes=(3, 3, 3), dropout=0.25,
                  use_stride_conv=True),
    head=dict(type='TemporalRegressionHead', in_channels=1024,
              num_joints=17, loss=dict(type='MPJPELoss'),
              decoder=dict(type='VideoPoseLifting', num_keypoints=17,
                           zero_center=True, root_index=0,
                           remove_root=False)))


def build_stgcn(layout: str, coord_dims: int, num_classes: int) -> nn.Module:
    """MMAction2's ST-GCN of ``configs/stgcn`` for one task.

    Args:
        layout: MMAction2 graph layout ('nturgb+d', 'openpose', 'coco').
        coord_dims: 3 for 3D joints; 2D joints get a keypoint score channel
            as in MMAction2's 2D skeleton configs, so in_channels is 3 too.
        num_classes: classes of the task's label set.
    """
    from mmaction.registry import MODELS as ACTION_MODELS
    model = copy.deepcopy(Config.fromfile(STGCN_CONFIG).model)
    model['_scope_'] = 'mmaction'
    model['backbone']['graph_cfg']['layout'] = layout
    model['backbone']['in_channels'] = 3
    model['cls_head']['num_classes'] = num_classes
    return ACTION_MODELS.build(model)


def build_tcn() -> Tuple[nn.Module, str]:
    """MMPose's VideoPoseLift TCN (27 frames); returns (model, its source)."""
    import mmpose
    from mmpose.registry import MODELS as POSE_MODELS
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs',
                    TCN_CONFIG)
    if osp.exists(path):
        model = copy.deepcopy(Config.fromfile(path).model)
        source = 'mmpose/.mim/configs/' + TCN_CONFIG
    else:
        model, source = copy.deepcopy(TCN_MODEL), 'built-in copy of ' + \
            TCN_CONFIG
    # Nested types (TCN, codec) must resolve in MMPose's registries, not in
    # the current default scope (mmups).
    model['_scope_'] = 'mmpose'
    return POSE_MODELS.build(model), source


def stgcn_inputs(poses: Tensor) -> Tensor:
    """UPS' raw inputs -> ST-GCN's.

    Args:
        poses: (N, M, T, V, C) coordinates, C = 2 or 3.

    Returns:
        (N, num_clips=1, M, T, V, 3); 2D joints get a score of 1 (the
        channel MMAction2's 2D configs append).
    """
    if poses.shape[-1] == 2:
        poses = torch.cat([poses, poses.new_ones(*poses.shape[:-1], 1)], -1)
    return poses.unsqueeze(1)


def tcn_inputs(poses: Tensor) -> Tensor:
    """UPS' raw pose estimation inputs -> the TCN's.

    Args:
        poses: (N, M=1, T, V, 2) 2D keypoint windows.

    Returns:
        (N, V * 2, T), joints and coordinates as channels, as MMPose's
        ``VideoPoseLifting`` codec lays them out.
    """
    x = poses[:, 0]
    n, t, v, c = x.shape
    return x.permute(0, 2, 3, 1).reshape(n, v * c, t)


def peer_for(task: str, model: nn.Module, data: dict,
             device: torch.device) -> Optional[dict]:
    """The single-task peer of a UPS task, its input and predict call.

    Args:
        task: the UPS task.
        model: the UPS model (its vocabulary gives the number of classes).
        data: a random batch of the task
            (:func:`mmups.testing.random_pose_batch`), before the data
            preprocessor.
        device: where the peer runs.

    Returns:
        ``dict(name, model, inputs, run, flops_fn)`` or None where the task
        has no peer (a joint layout that MMAction2's graphs lack).
    """
    poses = torch.stack(data['inputs']).to(device)  # (N, M, T, V, C)
    build = _PEERS.get(get_task_kind(task).name)
    peer = None if build is None else build(model, data, poses)
    if peer is None:
        return None
    net, source, x, samples, name, tensor_kwargs = peer
    net.to(device).eval()

    def run() -> object:
        return net(x, samples, mode='predict')

    def flops_fn(peer: nn.Module, inputs: Tensor) -> Tensor:
        out = peer(inputs, None, mode='tensor', **tensor_kwargs)
        return out[-1] if isinstance(out, (tuple, list)) else out

    if source.startswith(ROOT):
        source = osp.relpath(source, ROOT)
    return dict(name=name, source=source, model=net, inputs=x, run=run,
                flops_fn=flops_fn)


def _tcn_peer(model: nn.Module, data: dict, poses: Tensor) -> tuple:
    """Pose lifting: MMPose's TCN on the flattened 2D window."""
    from mmpose.structures import PoseDataSample
    net, source = build_tcn()
    samples = [PoseDataSample(metainfo={}) for _ in range(len(poses))]
    return (net, source, tcn_inputs(poses), samples,
            'VideoPoseLift TCN-27 (MMPose)', {})


def _stgcn_peer(model: nn.Module, data: dict,
                poses: Tensor) -> Optional[tuple]:
    """Action tasks: MMAction2's ST-GCN on the layout's graph (None where
    MMAction2 has no graph of the layout)."""
    from mmaction.structures import ActionDataSample
    meta = data['data_samples'][0].metainfo
    layout = get_layout(meta['layout']).mmaction_layout
    if not layout:
        return None
    classes = model.vocabulary.num_classes(meta['label_set'])
    net = build_stgcn(layout, poses.shape[-1], classes)
    samples = [ActionDataSample() for _ in range(len(poses))]
    name = (f'ST-GCN {poses.shape[-1]}D (MMAction2, {layout} graph, '
            f'{classes} classes)')
    # MMAction2's tensor mode stops at the backbone unless told otherwise.
    return (net, STGCN_CONFIG, stgcn_inputs(poses), samples, name,
            dict(stage='head'))


#: The peer of each task kind (by kind name): ``(net, config source,
#: inputs, data samples, name, tensor-mode kwargs)`` or None.
_PEERS = dict(pose_lifting=_tcn_peer, recognition=_stgcn_peer,
              early_prediction=_stgcn_peer)


#: MMAction2's ONNX export of its skeleton GCNs (shipped with the package).
GCN_EXPORT_SCRIPT = osp.join('.mim', 'tools', 'deployment',
                             'export_onnx_gcn.py')


def export_stgcn_onnx(net: nn.Module, inputs: Tensor,
                      path: str) -> Optional[str]:
    """Export an ST-GCN peer to ONNX as MMAction2 exports its GCNs: its
    deployment script's ``GCNNet`` (backbone and head, adaptive pooling
    replaced by plain means) traced on ``inputs`` (N, M, T, V, C), with a
    dynamic batch axis. Returns ``path``, or None where the installed
    MMAction2 lacks the script (a source checkout without ``.mim``)."""
    import runpy

    import mmaction
    script = osp.join(osp.dirname(mmaction.__file__), GCN_EXPORT_SCRIPT)
    if not osp.exists(script):
        return None
    wrapper = runpy.run_path(script)['GCNNet'](copy.deepcopy(net)).eval()
    with torch.no_grad():
        torch.onnx.export(wrapper, (inputs, ), path, dynamo=False,
                          input_names=['input_tensor'],
                          output_names=['cls_score'], opset_version=17,
                          dynamic_axes=dict(input_tensor={0: 'N'},
                                            cls_score={0: 'N'}))
    return path
