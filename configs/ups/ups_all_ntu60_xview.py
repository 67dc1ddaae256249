# UPS, the paper's joint setting (configs/ups/ups_all.py) with 3D early action
# prediction and 3D action recognition on NTU RGB+D 60, cross-view (both NTU
# tasks on the same split, so that no test clip of one is a training clip of
# the other).
#   bash tools/dist_train.sh configs/ups/ups_all_ntu60_xview.py 8
# Data: see data/README.md. Everything else (model, schedule, batch) is
# ups_all's.
_base_ = [
    './ups_all.py',
    '../_base_/datasets/ntu60_xview_eap3d.py',
    '../_base_/datasets/ntu60_xview_3d.py'
]

# The paper's four tasks in its rotation order; _delete_ replaces ups_all's
# declarations instead of merging into them (their keys differ).
tasks = dict(
    _delete_=True,
    pe3d={{_base_.h36m_cpn_pe3d}},
    ar2d={{_base_.kinetics400_openpose18_2d}},
    eap3d={{_base_.ntu60_xview_eap3d}},
    ar3d={{_base_.ntu60_xview_3d}})
