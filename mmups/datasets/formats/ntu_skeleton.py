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
The Kinect sometimes reports more bodies than there are actors: objects or
reflections detected as a person, and one actor re-detected under a new
bodyID in mid-clip. The rule is the denoising of the NTU preparations
most published skeleton models train on (CTR-GCN's, and PYSKL's, whose
pkls MMAction2 distributes), with the same default thresholds; they are the
fields of :class:`BodyRules`:

1. **Bodies.** Each bodyID is one *body*: the frames it appears in and its
   joints there (a bodyID listed twice in one frame, a rare recorder
   glitch, gives a second body rather than overwriting the first).
2. **Length.** A body seen in fewer than ``min_frames`` frames is a flicker
   of the sensor, not an actor, and is dropped.
3. **Spread.** In a frame where a body's joints span more in x than
   ``max_width_ratio`` times their span in y, the body is wider than tall
   (*flat*): a table or a wall seen as a skeleton. A body flat in at least
   ``flat_fraction`` of its frames is dropped.
4. **Motion.** The bodies left are ranked by their motion, the sum over x,
   y and z of the variance of their joints (over frames and joints), which
   is large for an actor and small for a static false detection. A body
   with some flat frames counts the motion of its upright frames where
   that is lower, so that its noisy frames do not lift it.
5. **Merging.** The best body starts actor 1; each next body, best first,
   joins the first actor none of whose bodies it overlaps in time (their
   first-to-last frame spans share at most ``merge_overlap`` frames), or
   starts a new actor while there are fewer than ``max_persons``, or is
   dropped. An actor re-detected under a new bodyID thus stays one person.
   Where two merged bodies share a frame, the better-ranked one is kept.

A step that would drop every body of a clip is skipped (a clip with one
short or flat body, e.g. a person lying down, keeps it), so that a clip
loses a body to the rule but never all of them. The output holds the
actors in the order they were started, with zeros in the frames where an
actor has no body; T is the file's frame count (the references also cut
frames without any body; MMAction2's ``PreNormalize3D`` drops those where
actor 1 has none). A clip in which no frame has a body is reported as
missing and left out.
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
        xyz = np.array(xyz, dtype=np.float64)
        # NaN, inf and values beyond float32 (the dtype of select_bodies).
        bad = np.flatnonzero(~(np.abs(xyz) <= np.finfo(np.float32).max).all(
            axis=1))
        if bad.size:
            raise self.error('NaN, infinite or out-of-range joint coordinate '
                             f'in {block[bad[0]].strip()[:60]!r}',
                             first + int(bad[0]))
        return xyz


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


@dataclass(frozen=True)
class BodyRules:
    """Thresholds of the rule that keeps a clip's bodies (module docstring,
    "Which bodies are kept"). The defaults are CTR-GCN's and PYSKL's.

    Attributes:
        min_frames: bodies seen in fewer frames are dropped (the references
            drop bodies of 11 frames or fewer).
        max_width_ratio: a frame of a body is flat where the x-span of its
            joints exceeds this times their y-span.
        flat_fraction: bodies flat in at least this fraction of their frames
            are dropped (the references' empirical 0.69754); a value above
            1 drops none.
        merge_overlap: frames that the first-to-last spans of two bodies may
            share for them to be one actor (PYSKL's 0; CTR-GCN's comparison
            lets them share one).
    """
    min_frames: int = 12
    max_width_ratio: float = 0.8
    flat_fraction: float = 0.69754
    merge_overlap: int = 0

    def __post_init__(self) -> None:
        if self.min_frames < 1:
            raise ValueError(f'min_frames must be >= 1, got {self.min_frames}')
        if not self.max_width_ratio > 0:
            raise ValueError('max_width_ratio must be > 0, got '
                             f'{self.max_width_ratio}')
        if not self.flat_fraction > 0:
            raise ValueError('flat_fraction must be > 0, got '
                             f'{self.flat_fraction}')
        if self.merge_overlap < 0:
            raise ValueError('merge_overlap must be >= 0, got '
                             f'{self.merge_overlap}')


@dataclass
class _Body:
    """One bodyID of a clip: ``frames`` (n,) increasing frame indices,
    ``xyz`` (n, V, 3) its joints there, ``motion`` its ranking score."""
    frames: np.ndarray
    xyz: np.ndarray
    motion: float

    def shared_frames(self, other: '_Body') -> int:
        """Frames that the first-to-last spans of both bodies cover."""
        start = max(self.frames[0], other.frames[0])
        end = min(self.frames[-1], other.frames[-1])
        return max(0, int(end - start) + 1)


def _motion(xyz: np.ndarray) -> float:
    """Sum over x, y, z of the variance of (n, V, 3) joints."""
    return float(xyz.reshape(-1, 3).var(axis=0).sum())


def _flat_frames(xyz: np.ndarray, max_width_ratio: float) -> np.ndarray:
    """(n,) bool: the frames of (n, V, 3) joints wider than tall."""
    span = xyz.max(axis=1) - xyz.min(axis=1)  # (n, 3)
    return span[:, 0] > max_width_ratio * span[:, 1]


def _bodies_of(seq: SkeletonSequence) -> List[_Body]:
    """The bodies of a clip, in order of first appearance."""
    # (bodyID, k): the k-th body with that ID in a frame, so that a repeated
    # ID inside one frame (rare recorder glitch) never overwrites a body.
    frames: Dict[Tuple[str, int], List[int]] = {}
    coords: Dict[Tuple[str, int], List[np.ndarray]] = {}
    for t, bodies in enumerate(seq.bodies):
        seen: Dict[str, int] = {}
        for body_id, joints in bodies:
            k = seen.get(body_id, 0)
            seen[body_id] = k + 1
            frames.setdefault((body_id, k), []).append(t)
            coords.setdefault((body_id, k), []).append(joints)
    out = []
    for key in frames:  # dicts keep first-seen order
        xyz = np.stack(coords[key])
        out.append(_Body(np.array(frames[key]), xyz, _motion(xyz)))
    return out


def _ranked_bodies(bodies: List[_Body], rules: BodyRules) -> List[_Body]:
    """Steps 2-4 of the rule: the bodies that are not noise, best first.

    Each filter keeps every body where it would drop them all (a clip
    keeps its bodies rather than being lost)."""
    long = [b for b in bodies if len(b.frames) >= rules.min_frames]
    bodies = long or bodies
    flat = [_flat_frames(b.xyz, rules.max_width_ratio) for b in bodies]
    upright = [(b, f) for b, f in zip(bodies, flat)
               if f.mean() < rules.flat_fraction]
    upright = upright or list(zip(bodies, flat))
    for body, body_flat in upright:
        if body_flat.any() and not body_flat.all():
            # The flat frames are likely noise: their spread must not make
            # the body look more active than its upright frames.
            body.motion = min(body.motion, _motion(body.xyz[~body_flat]))
    # Stable: equal motion keeps the order of first appearance.
    return sorted((b for b, _ in upright), key=lambda b: -b.motion)


def _actors(ranked: List[_Body], max_persons: int,
            merge_overlap: int) -> List[List[_Body]]:
    """Step 5 of the rule: bodies grouped into at most ``max_persons``
    actors, each actor's bodies best first."""
    actors: List[List[_Body]] = []
    for body in ranked:
        for actor in actors:
            if all(body.shared_frames(other) <= merge_overlap
                   for other in actor):
                actor.append(body)
                break
        else:
            if len(actors) < max_persons:
                actors.append([body])
    return actors


#: The rule's default thresholds.
DEFAULT_BODY_RULES = BodyRules()


def select_bodies(seq: SkeletonSequence,
                  max_persons: int = 2,
                  rules: BodyRules = DEFAULT_BODY_RULES) -> np.ndarray:
    """Pick up to ``max_persons`` actors of a clip (rule: module docstring).

    Returns:
        float32 array (M, T, V=25, C=3) of x, y, z in metres, M <=
        ``max_persons``, T the file's frame count (M = 0 where no frame has
        a body).
    """
    if max_persons < 1:
        raise ValueError(f'max_persons must be >= 1, got {max_persons}')
    actors = _actors(_ranked_bodies(_bodies_of(seq), rules), max_persons,
                     rules.merge_overlap)
    out = np.zeros((len(actors), seq.num_frames, NUM_JOINTS, 3),
                   dtype=np.float32)
    for m, actor in enumerate(actors):
        # Worst first, so that the better body wins the frames they share.
        for body in reversed(actor):
            out[m, body.frames] = body.xyz
    return out
