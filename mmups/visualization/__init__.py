"""Pictures of pose sequences, pose lifting, early prediction and task
routes, drawn with matplotlib without a display.

Every drawing function takes an ``out_file``, creates its folder, writes the
file and returns its path.
"""
from .early_prediction import draw_early_prediction_curve
from .pose_lifting import draw_pose_lifting
from .route_history import (RouteHistory, draw_route_history,
                            load_route_history, route_history_figure,
                            route_history_table)
from .routes import check_routes, draw_routes, routes_table
from .sequence import draw_sequence_strip, save_sequence_animation
from .skeleton import UP_AXES, draw_pose

__all__ = [
    'draw_sequence_strip', 'save_sequence_animation', 'draw_pose_lifting',
    'draw_early_prediction_curve', 'draw_routes', 'routes_table',
    'check_routes', 'draw_pose', 'UP_AXES', 'RouteHistory',
    'draw_route_history', 'load_route_history', 'route_history_figure',
    'route_history_table'
]
