"""Converting joints from one layout to another by joint name.

Pose lifting reads Human3.6M-17 joints, while 2D detectors (MMPose's default
body models) give COCO-17. Joints are matched through their canonical names;
a joint the source lacks is derived from the ones it has, e.g. the pelvis as
the midpoint of the hips. Derived joints approximate the target layout's
definitions (COCO has no pelvis, spine or head top), which is the usual
practice when lifting detected 2D poses.
"""
from typing import Dict, List, Tuple

import numpy as np

from .layouts import get_layout

#: How a joint missing from the source is made: the mean of the first group
#: of joints the source (or earlier derivations) provides.
DERIVED_JOINTS: Dict[str, Tuple[Tuple[str, ...], ...]] = {
    'pelvis': (('left_hip', 'right_hip'), ),
    'thorax': (('left_shoulder', 'right_shoulder'), ),
    'spine_mid': (('pelvis', 'thorax'), ),
    'neck': (('nose', ), ('head', 'thorax')),
    'head': (('left_eye', 'right_eye'), ('left_ear', 'right_ear'),
             ('nose', )),
}


def conversion_plan(src: str, dst: str) -> List[Tuple[int, ...]]:
    """For every joint of layout ``dst``, the indices of ``src`` joints whose
    mean gives it.

    Raises:
        ValueError: a ``dst`` joint that cannot be made from ``src``.
    """
    source = {n: (i, ) for i, n in enumerate(get_layout(src).joint_names)}

    def resolve(name: str, seen: Tuple[str, ...] = ()) -> Tuple[int, ...]:
        if name in source:
            return source[name]
        for group in DERIVED_JOINTS.get(name, ()):
            if any(g in seen for g in group):
                continue
            try:
                parts = [resolve(g, seen + (name, )) for g in group]
            except ValueError:
                continue
            # Mean of means, flattened with repetition so weights are right.
            size = int(np.lcm.reduce([len(p) for p in parts]))
            return tuple(i for p in parts for i in p * (size // len(p)))
        raise ValueError(f'Layout {src!r} has no joint {name!r} and it '
                         f'cannot be derived from its joints, so it cannot '
                         f'be converted to layout {dst!r}.')

    return [resolve(n) for n in get_layout(dst).joint_names]


def convert_layout(keypoint: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert joints from layout ``src`` to layout ``dst``.

    Args:
        keypoint: (..., V_src, C) joints (or (..., V_src) scores).
        src, dst: layout names.

    Returns:
        (..., V_dst, C) joints (or (..., V_dst) scores): the joint itself
        where ``src`` has it, else the mean of the joints it is derived from.
    """
    if src == dst:
        return keypoint
    plan = conversion_plan(src, dst)
    keypoint = np.asarray(keypoint)
    joint_axis = -2 if keypoint.ndim >= 2 and keypoint.shape[-1] in (2, 3) \
        and keypoint.shape[-2] == get_layout(src).num_joints else -1
    return np.stack([keypoint.take(list(idx), axis=joint_axis).mean(
        axis=joint_axis) for idx in plan], axis=joint_axis)
