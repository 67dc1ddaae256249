"""Undetected 2D joints put at the centre of the normalised frame."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmups.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ZeroMissingJoints(BaseTransform):
    """Set the coordinates of joints with a zero score to 0, after
    ``PreNormalize2D``.

    A 2D pose estimator writes a joint it did not detect as (0, 0) pixels
    with score 0 (OpenPose in ST-GCN's Kinetics-skeleton release), and an
    empty person slot holds zeros throughout (fewer people than slots in a
    frame, in the converted release as after MMAction2's
    ``DecompressPose``). MMAction2's ``PreNormalize2D`` maps pixels to
    [-1, 1] about the frame's centre, so such a joint becomes (-1, -1): a
    joint at the top-left corner, which a model reading coordinates only
    (UPS's recognition input has no score) cannot tell from a detected one,
    and which stretches the skeleton across the frame. Put at (0, 0), the
    centre, it lies where the normalised coordinates are centred, as ST-GCN's
    own Kinetics loader places it, and is zero like the empty frames and
    person slots of the 3D datasets.

    The scores are left as they are, so that a step or model reading them
    still sees which joints are missing.

    Required keys: ``keypoint`` (M, T, V, C) and ``keypoint_score``
    (M, T, V), M persons, T frames, V joints, C coordinates.

    Modified keys: ``keypoint`` (in place, like ``PreNormalize2D``).

    Args:
        score_thr: joints whose score is at most this are missing. The
            default, 0, takes only the joints written as not detected.
    """

    def __init__(self, score_thr: float = 0.0) -> None:
        self.score_thr = score_thr

    def transform(self, results: Dict) -> Dict:
        keypoint = results['keypoint']
        score = np.asarray(results['keypoint_score'])
        if score.shape != keypoint.shape[:-1]:
            raise ValueError(
                f'keypoint_score of shape {score.shape} does not match '
                f'keypoint of shape {keypoint.shape} (expected (M, T, V) '
                'and (M, T, V, C))')
        keypoint[score <= self.score_thr] = 0
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(score_thr={self.score_thr})'
