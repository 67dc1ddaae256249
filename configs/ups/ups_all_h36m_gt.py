# UPS, the paper's joint setting (configs/ups/ups_all.py) with 3D pose
# estimation lifted from Human3.6M's ground-truth 2D keypoints instead of CPN
# detections (the paper's Table 4).
#   bash tools/dist_train.sh configs/ups/ups_all_h36m_gt.py 8
# Data: see data/README.md. Everything else (model, schedule, batch) is
# ups_all's.
_base_ = [
    './ups_all.py',
    '../_base_/datasets/h36m_gt_pe3d.py'
]

# The paper's four tasks in its rotation order; _delete_ replaces ups_all's
# declarations instead of merging into them (their keys differ).
tasks = dict(
    _delete_=True,
    pe3d={{_base_.h36m_gt_pe3d}},
    ar2d={{_base_.kinetics400_openpose18_2d}},
    eap3d={{_base_.ntu60_xsub_eap3d}},
    ar3d={{_base_.ntu60_xsub_3d}})
