"""NTU RGB+D 60 / 120 ``.skeleton`` files: reading, and the bodies kept.

A ``.skeleton`` file is plain text written by the Kinect v2 SDK recorder:

* line 1: the number of frames;
* per frame: the number of bodies, then per body

  - one line of 10 values: bodyID, clipedEdges, handLeftConfidence,
    handLeftState, handRightConfidence, handRightState, isResticted, leanX,
    leanY, trackingState;
  - one line with the number of joints (25);
  - one line per joint of 12 values: x y z (camera space, metres), depthX
    depthY, colorX colorY, orientationW X Y Z, trackingState.

The sample name ``SsssCcccPpppRrrrAaaa`` (setup, camera, performer,
replication, action) carries the label and the official split keys.

Which bodies are kept
---------------------
The Kinect sometimes reports more bodies than there are actors (objects or
reflections detected as a person, or one actor re-detected under a new
bodyID). Each bodyID is followed across frames as one *track*; a track is
scored by ``coverage * spread``, where ``coverage`` is the fraction of the
clip's frames in which the body appears and ``spread`` is the sum over x, y
and z of the standard deviation of its joint coordinates (over its frames
and joints) - large for a whole human body that is seen for long and moves,
small for short-lived or compact spurious detections. The
``max_persons`` best tracks are kept, best first (ties: earliest first
appearance); frames where a kept body is absent hold zeros. A clip in
which no frame has a body is reported as missing and left out.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from .files import ConversionError

NUM_JOINTS = 25
BODY_INFO_VALUES = 10
JOINT_VALUES = 12
SKELETON_SUFFIX = '.skeleton'

_NAME_RE = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')


@dataclass(frozen=True)
class NtuSampleName:
    """The fields of an NTU sample name such as ``S001C002P003R002A013``."""
    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def label(self) -> int:
        """0-based action label (A001 -> 0)."""
        return self.action - 1


def parse_sample_name(name: str) -> NtuSampleName:
    """Parse ``SsssCcccPpppRrrrAaaa`` (a ``.skeleton`` suffix is allowed)."""
    stem = name[:-len(SKELETON_SUFFIX)] if name.endswith(
        SKELETON_SUFFIX) else name
    match = _NAME_RE.match(stem)
    if match is None:
        raise ValueError(f'{name!r} is not an NTU RGB+D sample name '
                         '(expected SsssCcccPpppRrrrAaaa, e.g. '
                         'S001C001P001R001A001)')
    return NtuSampleName(*(int(g) for g in match.groups()))


@dataclass
class SkeletonSequence:
    """The parsed content of one ``.skeleton`` file.

    Attributes:
        num_frames: frame count of the file.
        bodies: per frame, a list of ``(bodyID, xyz)`` with ``xyz`` the
            (25, 3) float64 camera-space joint positions in metres.
    """
    num_frames: int
    bodies: List[List[Tuple[str, np.ndarray]]] = field(default_factory=list)

    @property
    def has_skeleton(self) -> bool:
        """Whether any frame holds a body."""
        return any(self.bodies)


class _Lines:
    """A cursor over the lines of a text file, for line-numbered errors."""

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, encoding='utf-8', errors='replace') as f:
            self.lines = f.read().splitlines()
        # Trailing blank lines are not part of the format.
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.pos = 0  # index of the next line to read

    def error(self, message: str, line: Optional[int] = None
              ) -> ConversionError:
        return ConversionError(self.path, message,
                               self.pos if line is None else line)

    def next(self, what: str) -> str:
        if self.pos >= len(self.lines):
            self.pos += 1
            raise self.error(f'unexpected end of file: expected {what} '
                             '(file truncated?)')
        line = self.lines[self.pos]
        self.pos += 1
        return line

    def next_int(self, what: str) -> int:
        text = self.next(what).strip()
        try:
            value = int(text)
        except ValueError:
            raise self.error(f'expected {what} (an integer), got '
                             f'{text[:60]!r}') from None
        if value < 0:
            raise self.error(f'{what} is negative ({value})')
        return value

    def next_joints(self, count: int) -> np.ndarray:
        """Read ``count`` joint lines; returns their x, y, z (count, 3).

        Every line must hold the 12 values of a joint; only x, y, z are
        converted (the others are not used, and converting them would make
        parsing several times slower).
        """
        first = self.pos + 1
        if self.pos + count > len(self.lines):
            self.pos = len(self.lines) + 1
            raise self.error(f'unexpected end of file: expected {count} '
                             f'joint lines from line {first} (file '
                             'truncated?)')
        block = self.lines[self.pos:self.pos + count]
        self.pos += count
        xyz = []
        for i, line in enumerate(block):
            values = line.split()
            if len(values) != JOINT_VALUES:
                raise self.error(f'expected {JOINT_VALUES} values on a '
                                 f'joint line, got {len(values)}', first + i)
            try:
                xyz.append([float(v) for v in values[:3]])
            except ValueError:
                raise self.error('non-numeric joint coordinate in '
                                 f'{line.strip()[:60]!r}',
                                 first + i) from None
        return np.array(xyz, dtype=np.float64)


def read_skeleton_file(path: str) -> SkeletonSequence:
    """Parse one NTU RGB+D ``.skeleton`` file.

    Raises:
        ConversionError: the file is malformed; the message names the file
            and the line.
    """
    reader = _Lines(path)
    num_frames = reader.next_int('the frame count')
    seq = SkeletonSequence(num_frames)
    for t in range(num_frames):
        num_bodies = reader.next_int(f'the body count of frame {t + 1}')
        frame = []
        for b in range(num_bodies):
            info = reader.next(f'the body info line of body {b + 1}').split()
            if len(info) != BODY_INFO_VALUES:
                raise reader.error(
                    f'expected {BODY_INFO_VALUES} values on the body info '
                    f'line (bodyID ... trackingState), got {len(info)}')
            num_joints = reader.next_int('the joint count')
            if num_joints != NUM_JOINTS:
                raise reader.error(f'expected {NUM_JOINTS} joints, got '
                                   f'{num_joints}')
            frame.append((info[0], reader.next_joints(num_joints)))
        seq.bodies.append(frame)
    if reader.pos < len(reader.lines):
        raise ConversionError(
            path, f'unexpected content after the {num_frames} frames the '
            'file declares', reader.pos + 1)
    return seq


def select_bodies(seq: SkeletonSequence, max_persons: int = 2) -> np.ndarray:
    """Pick up to ``max_persons`` bodies of a clip (rule: module docstring).

    Returns:
        float32 array (M, T, 25, 3) of x, y, z in metres, M <= max_persons
        (M = 0 where no frame has a body).
    """
    if max_persons < 1:
        raise ValueError(f'max_persons must be >= 1, got {max_persons}')
    num_frames = seq.num_frames
    # (bodyID, k): the k-th body with that ID in a frame, so that a repeated
    # ID inside one frame (rare recorder glitch) never overwrites a body.
    frames: Dict[Tuple[str, int], List[int]] = {}
    coords: Dict[Tuple[str, int], List[np.ndarray]] = {}
    for t, bodies in enumerate(seq.bodies):
        seen: Dict[str, int] = {}
        for body_id, joints in bodies:
            k = seen.get(body_id, 0)
            seen[body_id] = k + 1
            key = (body_id, k)
            frames.setdefault(key, []).append(t)
            coords.setdefault(key, []).append(joints)
    scored = []
    for order, key in enumerate(frames):  # dicts keep first-seen order
        xyz = np.stack(coords[key])  # (n, 25, 3)
        spread = float(xyz.reshape(-1, 3).std(axis=0).sum())
        coverage = len(frames[key]) / max(num_frames, 1)
        scored.append((-coverage * spread, order, key))
    scored.sort()
    kept = [key for _, _, key in scored[:max_persons]]
    out = np.zeros((len(kept), num_frames, NUM_JOINTS, 3), dtype=np.float32)
    for m, key in enumerate(kept):
        out[m, frames[key]] = np.stack(coords[key])
    return out
