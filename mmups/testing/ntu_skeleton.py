"""Writing NTU RGB+D ``.skeleton`` text files (for tests and demos).

The format is described in :mod:`mmups.datasets.formats.ntu_skeleton`.
Besides the writer, synthetic bodies for the cases its body rule handles:
:func:`standing_body` (an actor), :func:`flat_object` (a false detection
wider than tall) and :func:`frames_of`, which lays bodyID tracks out as
the writer's frames.
"""
from typing import List, Sequence, Tuple

import numpy as np

Body = Tuple[str, np.ndarray]  # (bodyID, (25, 3) x y z)
#: (bodyID, first frame, (n, V=25, 3) joints of frames first .. first+n-1)
Track = Tuple[str, int, np.ndarray]


def standing_body(num_frames: int,
                  offset: Sequence[float] = (0.0, 0.0, 3.0),
                  sway: float = 0.1,
                  seed: int = 0) -> np.ndarray:
    """An actor: (T, V=25, 3) joints 1.6 m tall and 0.4 m wide, swaying
    by ``sway`` metres along x (its motion grows with ``sway``)."""
    rng = np.random.default_rng(seed)
    pose = rng.uniform(-0.5, 0.5, (25, 3)) * [0.4, 1.6, 0.3]
    pose[:2, 1] = [-0.8, 0.8]  # its full height, whatever the seed
    phase = np.sin(np.linspace(0, 2 * np.pi, num_frames))
    xyz = pose + np.asarray(offset, dtype=np.float64)
    xyz = xyz[None] + sway * phase[:, None, None] * [1.0, 0.0, 0.0]
    return xyz.astype(np.float32)


def flat_object(num_frames: int,
                offset: Sequence[float] = (1.0, -0.5, 3.5),
                seed: int = 0) -> np.ndarray:
    """A false detection: (T, V=25, 3) joints 1.2 m wide and 0.2 m tall,
    trembling by a centimetre (the sensor's noise)."""
    rng = np.random.default_rng(seed)
    pose = rng.uniform(-0.5, 0.5, (25, 3)) * [1.2, 0.2, 0.2]
    pose[:2, 0] = [-0.6, 0.6]  # its full width, whatever the seed
    noise = rng.normal(0, 0.01, (num_frames, 25, 3))
    return (pose + np.asarray(offset) + noise).astype(np.float32)


def frames_of(num_frames: int, tracks: Sequence[Track]) -> List[List[Body]]:
    """Per frame, the bodies of ``tracks`` present in it, in track order.

    Args:
        num_frames: T of the clip.
        tracks: ``(bodyID, first frame, (n, V, 3) joints)`` each.
    """
    frames: List[List[Body]] = [[] for _ in range(num_frames)]
    for body_id, first, xyz in tracks:
        if first < 0 or first + len(xyz) > num_frames:
            raise ValueError(f'track {body_id!r} of frames {first} to '
                             f'{first + len(xyz) - 1} is outside the '
                             f'{num_frames} frames')
        for t, joints in enumerate(xyz, start=first):
            frames[t].append((body_id, joints))
    return frames


def format_float32(value: float) -> str:
    """Shortest text that reads back to the same float32 (the recorder
    writes its own values with 7 significant digits, which do too)."""
    return np.format_float_positional(np.float32(value), unique=True,
                                      trim='-')


def write_skeleton(path: str, frames: Sequence[Sequence[Body]]) -> None:
    """Write ``frames`` in the NTU RGB+D ``.skeleton`` text format.

    Args:
        path: the file to write.
        frames: per frame, the bodies in it as ``(bodyID, xyz)`` with ``xyz``
            the (V=25, 3) camera-space joint positions in metres.
    """
    num = format_float32
    lines: List[str] = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            # bodyID clipedEdges handLeftConfidence handLeftState
            # handRightConfidence handRightState isResticted leanX leanY
            # trackingState
            lines.append(f'{body_id} 0 1 1 1 1 0 0.01521 -0.2083 2')
            lines.append(str(len(xyz)))
            for x, y, z in xyz:
                # depthX depthY colorX colorY: a pinhole view of the joint.
                u, v = 256 + 365 * x / z, 212 - 365 * y / z
                cu, cv = 960 + 1060 * x / z, 540 - 1060 * y / z
                lines.append(' '.join(
                    [num(x), num(y), num(z), num(u), num(v), num(cu),
                     num(cv), '0.1', '0.2', '0.3', '0.9', '2']))
    with open(path, 'w') as f:
        f.write('\r\n'.join(lines) + '\r\n')  # the recorder's line endings
