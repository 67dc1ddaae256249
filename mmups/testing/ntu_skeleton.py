"""Writing NTU RGB+D ``.skeleton`` text files (for tests and demos).

The format is described in :mod:`mmups.datasets.converters.ntu`.
"""
from typing import List, Sequence, Tuple

import numpy as np

Body = Tuple[str, np.ndarray]  # (bodyID, (25, 3) x y z)


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
