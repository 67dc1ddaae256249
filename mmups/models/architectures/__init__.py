from .flip_test_pose_lifter import FlipTestPoseLifter
from .ups import UPS

__all__ = ['UPS', 'FlipTestPoseLifter']
