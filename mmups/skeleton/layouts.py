"""Joint layouts and the canonical joint set shared by all of them.

Every supported layout (NTU RGB+D 25, OpenPose-18 / Kinetics-skeleton,
COCO-17, Human3.6M-17, Penn Action-13) names its joints with the names of the
*canonical joint set* below. The joint tokenizer runs on each layout's own
graph and then scatters the V joint tokens of a layout into the V_c canonical
slots, with a mask of the slots that layout fills. Everything after the
tokenizer (routed encoder, sequence head) therefore sees one shape,
(N, M, T, V_c, d), whatever the input layout.

Joints with the same anatomical meaning share a slot across layouts:
OpenPose's "neck" (the midpoint between the shoulders) is the same point as
NTU's "spine shoulder" and Human3.6M's "thorax"; Human3.6M's "neck/nose" and
NTU's "neck" share ``neck``; H36M's "foot" joints sit at the ankle.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: The canonical joint set: the union of the joints of all built-in layouts.
CANONICAL_JOINTS: Tuple[str, ...] = (
    'pelvis', 'spine_mid', 'thorax', 'neck', 'head', 'nose',
    'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hand', 'right_hand',
    'left_hand_tip', 'right_hand_tip', 'left_thumb', 'right_thumb',
    'left_hip', 'right_hip', 'left_knee', 'right_knee',
    'left_ankle', 'right_ankle', 'left_foot', 'right_foot')


def _edges(names: Sequence[str], pairs: Sequence[Tuple[str, str]]
           ) -> Tuple[Tuple[int, int], ...]:
    """(child, parent) joint-name pairs -> index pairs into ``names``."""
    index = {n: i for i, n in enumerate(names)}
    return tuple((index[c], index[p]) for c, p in pairs)


@dataclass(frozen=True)
class SkeletonLayout:
    """A joint layout: joint names in data order and its skeleton graph.

    Args:
        name: layout name used in data samples and configs.
        joint_names: canonical name of each joint, in the data's joint order.
        inward: (child, parent) index pairs, edges pointing to ``center``.
        center: index of the centre joint of the graph.
        mmaction_layout: name of the same layout in MMAction2's ``Graph``
            where it has one; its edges are then taken from MMAction2.
    """
    name: str
    joint_names: Tuple[str, ...]
    inward: Tuple[Tuple[int, int], ...] = ()
    center: int = 0
    mmaction_layout: str = ''
    _canonical: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        unknown = [n for n in self.joint_names if n not in CANONICAL_JOINTS]
        if unknown:
            raise ValueError(f'Layout {self.name!r} has joints outside the '
                             f'canonical joint set: {unknown}')
        if len(set(self.joint_names)) != len(self.joint_names):
            raise ValueError(f'Layout {self.name!r} repeats a joint name.')
        object.__setattr__(
            self, '_canonical',
            np.array([CANONICAL_JOINTS.index(n) for n in self.joint_names]))

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def canonical_index(self) -> np.ndarray:
        """(V,) int array: the canonical slot of each of this layout's
        joints."""
        return self._canonical

    @property
    def flip_indices(self) -> List[int]:
        """For each joint, the index of its mirror image (``left_*`` <->
        ``right_*``; joints on the midline map to themselves). Raises if a
        side joint's partner is missing from the layout."""
        index = {n: i for i, n in enumerate(self.joint_names)}
        out = []
        for name in self.joint_names:
            side, _, rest = name.partition('_')
            other = {'left': 'right', 'right': 'left'}.get(side)
            partner = f'{other}_{rest}' if other else name
            if partner not in index:
                raise ValueError(f'Layout {self.name!r}: joint {name!r} has '
                                 f'no mirror joint {partner!r}.')
            out.append(index[partner])
        return out

    @property
    def root_index(self) -> Optional[int]:
        """Index of the ``pelvis`` (the root of root-relative 3D poses, as
        MMPose's lifting codecs' ``root_index``), or None without one."""
        return (self.joint_names.index('pelvis')
                if 'pelvis' in self.joint_names else None)

    def graph(self, mode: str = 'spatial'):
        """This layout's skeleton as an MMAction2 ``Graph``."""
        from mmaction.models.utils import Graph
        if self.mmaction_layout:
            return Graph(layout=self.mmaction_layout, mode=mode)
        return Graph(layout=dict(num_node=self.num_joints,
                                 inward=list(self.inward),
                                 center=self.center), mode=mode)

    def adjacency(self, mode: str = 'spatial') -> np.ndarray:
        """(n_sub, V, V) normalised adjacency subsets (identity, inward,
        outward)."""
        return self.graph(mode).A.astype(np.float32)

    def tree_paths(self) -> Tuple[np.ndarray, np.ndarray]:
        """The paths of a tree-shaped ``inward`` graph (each joint has at
        most one parent, one joint none), from which the routed encoder
        links the joints a layout keeps across the ones it lacks.

        Returns:
            inside: (V, V, V) bool, ``inside[u, v, w]``: joint w lies
                strictly between joints u and v on the path joining them.
            above: (V, V) bool, ``above[u, v]``: v is a proper ancestor of u
                (the path from u to v follows ``inward`` edges only).
        """
        v = self.num_joints
        parent = [-1] * v
        for child, par in self.inward:
            if parent[child] >= 0:
                raise ValueError(f'Layout {self.name!r} is not a tree: joint '
                                 f'{self.joint_names[child]!r} has two '
                                 f'parents.')
            parent[child] = par
        chains = []  # each joint's path to the root, itself first
        for joint in range(v):
            chain = [joint]
            while parent[chain[-1]] >= 0:
                chain.append(parent[chain[-1]])
                if len(chain) > v:
                    raise ValueError(f'Layout {self.name!r} is not a tree: '
                                     f'its inward edges form a cycle.')
            chains.append(chain)
        if len({chain[-1] for chain in chains}) != 1:
            raise ValueError(f'Layout {self.name!r} is not a tree: its '
                             f'graph is not connected.')
        inside = np.zeros((v, v, v), dtype=bool)
        above = np.zeros((v, v), dtype=bool)
        for u in range(v):
            above[u, chains[u][1:]] = True
            for w in range(v):
                common = next(j for j in chains[u] if j in chains[w])
                path = (chains[u][:chains[u].index(common) + 1] +
                        chains[w][:chains[w].index(common)])
                inside[u, w, [j for j in path if j not in (u, w)]] = True
        return inside, above


_NTU = ('pelvis', 'spine_mid', 'neck', 'head',
        'left_shoulder', 'left_elbow', 'left_wrist', 'left_hand',
        'right_shoulder', 'right_elbow', 'right_wrist', 'right_hand',
        'left_hip', 'left_knee', 'left_ankle', 'left_foot',
        'right_hip', 'right_knee', 'right_ankle', 'right_foot',
        'thorax', 'left_hand_tip', 'left_thumb', 'right_hand_tip',
        'right_thumb')
_OPENPOSE = ('nose', 'thorax', 'right_shoulder', 'right_elbow', 'right_wrist',
             'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip',
             'right_knee', 'right_ankle', 'left_hip', 'left_knee',
             'left_ankle', 'right_eye', 'left_eye', 'right_ear', 'left_ear')
_COCO = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
         'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
         'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
         'right_knee', 'left_ankle', 'right_ankle')
_H36M = ('pelvis', 'right_hip', 'right_knee', 'right_ankle', 'left_hip',
         'left_knee', 'left_ankle', 'spine_mid', 'thorax', 'neck', 'head',
         'left_shoulder', 'left_elbow', 'left_wrist', 'right_shoulder',
         'right_elbow', 'right_wrist')
_PENN = ('head', 'left_shoulder', 'right_shoulder', 'left_elbow',
         'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
         'left_knee', 'right_knee', 'left_ankle', 'right_ankle')

# Limb chains shared by the hand-written graphs: (child, parent) names.
_ARMS = [('left_elbow', 'left_shoulder'), ('left_wrist', 'left_elbow'),
         ('right_elbow', 'right_shoulder'), ('right_wrist', 'right_elbow')]
_LEGS = [('left_knee', 'left_hip'), ('left_ankle', 'left_knee'),
         ('right_knee', 'right_hip'), ('right_ankle', 'right_knee')]

_CANONICAL_EDGES = _ARMS + _LEGS + [
    ('spine_mid', 'pelvis'), ('thorax', 'spine_mid'), ('neck', 'thorax'),
    ('head', 'neck'), ('nose', 'neck'), ('left_eye', 'nose'),
    ('right_eye', 'nose'), ('left_ear', 'left_eye'),
    ('right_ear', 'right_eye'), ('left_shoulder', 'thorax'),
    ('right_shoulder', 'thorax'), ('left_hand', 'left_wrist'),
    ('right_hand', 'right_wrist'), ('left_hand_tip', 'left_hand'),
    ('left_thumb', 'left_hand'), ('right_hand_tip', 'right_hand'),
    ('right_thumb', 'right_hand'), ('left_hip', 'pelvis'),
    ('right_hip', 'pelvis'), ('left_foot', 'left_ankle'),
    ('right_foot', 'right_ankle')]

#: The canonical layout: its graph is the one the routed encoder's SEM uses.
CANONICAL_LAYOUT = SkeletonLayout(
    'canonical', CANONICAL_JOINTS,
    inward=_edges(CANONICAL_JOINTS, _CANONICAL_EDGES),
    center=CANONICAL_JOINTS.index('thorax'))

_LAYOUTS: Dict[str, SkeletonLayout] = {}
#: (V joints, C coordinates) -> the layout inputs of that shape are read in
#: where several layouts have V joints (see :func:`infer_layout`).
_DEFAULTS: Dict[Tuple[int, int], str] = {}


def register_layout(layout: SkeletonLayout, force: bool = False,
                    default_for: Sequence[int] = ()) -> None:
    """Make a layout known by name (users add their own joint layouts here).

    Args:
        layout: the layout.
        force: replace a registered layout of the same name.
        default_for: coordinate counts C (2, 3) for which inputs with this
            layout's number of joints are read in this layout where other
            layouts have as many joints (:func:`infer_layout`); a layout
            whose joint count is unique is found without it.
    """
    if layout.name in _LAYOUTS and not force:
        raise KeyError(f'Layout {layout.name!r} is already registered.')
    _LAYOUTS[layout.name] = layout
    for num_coords in default_for:
        _DEFAULTS[layout.num_joints, int(num_coords)] = layout.name


def get_layout(name: str) -> SkeletonLayout:
    """Return a registered layout, with a clear error for unknown names."""
    if name not in _LAYOUTS:
        raise KeyError(f'Unknown joint layout {name!r}; known layouts: '
                       f'{sorted(_LAYOUTS)} (add one with register_layout).')
    return _LAYOUTS[name]


def list_layouts() -> List[str]:
    return sorted(_LAYOUTS)


def layouts_with_num_joints(num_joints: int) -> List[str]:
    """Names of the registered layouts with ``num_joints`` joints."""
    return [n for n, lay in sorted(_LAYOUTS.items())
            if lay.num_joints == num_joints]


def infer_layout(num_joints: int, num_coords: Optional[int] = None,
                 preferred: Optional[str] = None,
                 use_defaults: bool = True) -> Optional[str]:
    """The registered layout of inputs with V joints and C coordinates, or
    None where it cannot be told (the one rule of the readers and
    converters; :func:`register_layout` extends it).

    In order: ``preferred`` (e.g. a task kind's ``input_layout``) if it has
    V joints; the only layout with V joints; with ``use_defaults``, the
    layout registered as the default for (V, C) (``default_for``: 17 joints
    are ``coco`` in 2D, the joints of 2D pose detectors, and ``h36m`` in
    3D).
    """
    candidates = layouts_with_num_joints(num_joints)
    if preferred in candidates:
        return preferred
    if len(candidates) == 1:
        return candidates[0]
    if use_defaults and num_coords is not None:
        default = _DEFAULTS.get((num_joints, int(num_coords)))
        if default in candidates:
            return default
    return None


#: The layouts that come with mmups (and the coordinate counts each is the
#: default for), as a model config that does not name its layouts gets them.
_BUILTIN = (
    (SkeletonLayout('nturgb+d', _NTU, mmaction_layout='nturgb+d'), (2, 3)),
    (SkeletonLayout('openpose', _OPENPOSE, mmaction_layout='openpose'),
     (2, 3)),
    (SkeletonLayout('coco', _COCO, mmaction_layout='coco'), (2, )),
    (SkeletonLayout(
        'h36m', _H36M,
        inward=_edges(_H36M, _ARMS + _LEGS + [
            ('right_hip', 'pelvis'), ('left_hip', 'pelvis'),
            ('spine_mid', 'pelvis'), ('thorax', 'spine_mid'),
            ('neck', 'thorax'), ('head', 'neck'),
            ('left_shoulder', 'thorax'), ('right_shoulder', 'thorax')]),
        center=0), (3, )),
    (SkeletonLayout(
        'penn_action', _PENN,
        inward=_edges(_PENN, _ARMS + _LEGS + [
            ('left_shoulder', 'head'), ('right_shoulder', 'head'),
            ('left_hip', 'left_shoulder'), ('right_hip', 'right_shoulder'),
            ('right_hip', 'left_hip')]),
        center=0), (2, 3)),
)
for _layout, _default_for in _BUILTIN:
    register_layout(_layout, default_for=_default_for)
#: Names of the layouts that come with mmups, sorted.
BUILTIN_LAYOUTS = tuple(sorted(lay.name for lay, _ in _BUILTIN))
