from .conversion import convert_layout
from .geometry import centre_on_root, flip_pose3d, flip_sequence, root_of
from .layouts import (BUILTIN_LAYOUTS, CANONICAL_JOINTS, CANONICAL_LAYOUT,
                      SkeletonLayout, get_layout, infer_layout,
                      layouts_with_num_joints, list_layouts, register_layout)

__all__ = [
    'CANONICAL_JOINTS', 'CANONICAL_LAYOUT', 'BUILTIN_LAYOUTS',
    'SkeletonLayout', 'get_layout', 'infer_layout',
    'list_layouts', 'register_layout', 'layouts_with_num_joints',
    'convert_layout',
    'centre_on_root', 'flip_sequence', 'flip_pose3d', 'root_of'
]
