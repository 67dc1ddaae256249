# Fine-tuning of the jointly trained UPS of configs/ups/ups_all_h36m_gt.py on
# 3D pose estimation (Human3.6M, ground-truth 2D keypoints); everything else is
# ups_finetune_pe3d.py's.
#   bash tools/dist_train.sh configs/ups/finetune/ups_finetune_pe3d_h36m_gt.py 8
_base_ = [
    './ups_finetune_pe3d.py',
    '../../_base_/datasets/h36m_gt_pe3d.py'
]

# _delete_: this declaration replaces the base's instead of merging into it.
tasks = dict(_delete_=True, pe3d={{_base_.h36m_gt_pe3d}})
joint_checkpoint = 'work_dirs/ups_all_h36m_gt/iter_60000.pth'
load_from = joint_checkpoint
