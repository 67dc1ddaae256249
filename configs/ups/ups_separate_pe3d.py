# UPS trained on one task only: 3D pose estimation on Human3.6M (CPN detections).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_pe3d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/h36m_cpn_pe3d.py']

# The one task, declared once (model, loaders and metric follow it).
tasks = dict(pe3d={{_base_.h36m_cpn_pe3d}})
