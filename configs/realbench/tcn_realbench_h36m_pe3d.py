# MMPose's VideoPose3D TCN (PoseLifter + TCN + TemporalRegressionHead) on
# the Human3.6M mocap files (realbench 'pe3d'): the peer of
# ups_realbench_separate_pe3d.py, on the same windows (9 frames at 10 Hz,
# centre-frame target), augmentation and splits, with mmups' MPJPEMetric
# (MMPose's MPJPE / P-MPJPE in millimetres).
#   python tools/train.py configs/realbench/tcn_realbench_h36m_pe3d.py
# MMPose's recipe (video-pose-lift_tcn-27frm-supv_8xb128-160e_h36m.py):
# 1024 channels, dropout 0.25, strided convolutions, Adam with lr 1e-3.
# Its 27-frame model has three kernels of 3; the 9-frame window here takes
# two (receptive field 3 x 3 = 9). Schedule: ./_base_/peer_schedule.py,
# with a batch of 64 and the recipe's lr, though the recipe's batch is 1024
# (Adam's steps hardly depend on the batch size; scaled linearly to 6e-5,
# the model stayed untrained in this budget).
_base_ = ['./_base_/peer_schedule.py']

# MMPose's PoseLifter, with a flip test that works for the TCN (MMPose's
# own fails on the flattened TCN input: mmups/models/architectures/
# flip_test_pose_lifter.py), as UPS' flip test: the window mirrored about
# the pelvis, its prediction mirrored back and averaged with the plain one.
model = dict(
    type='mmups.FlipTestPoseLifter', _scope_='mmpose', layout='h36m',
    test_cfg=dict(flip_test=True),
    backbone=dict(type='TCN', in_channels=2 * 17, stem_channels=1024,
                  num_blocks=1, kernel_sizes=(3, 3), dropout=0.25,
                  use_stride_conv=True),
    head=dict(type='TemporalRegressionHead', in_channels=1024, num_joints=17,
              loss=dict(type='MPJPELoss'),
              decoder={{_base_.h36m_pe_codec}}))

batch_size = 64
lr = 1e-3
optim_wrapper = dict(optimizer=dict(type='Adam', lr=lr))
auto_scale_lr = dict(base_batch_size=batch_size)
train_dataloader = dict(batch_size=batch_size,
                        dataset={{_base_.h36m_pe3d_tcn_train}})
val_dataloader = dict(batch_size=batch_size,
                      dataset={{_base_.h36m_pe3d_tcn_val}})
test_dataloader = val_dataloader
val_evaluator = {{_base_.h36m_pe3d_metric}}
test_evaluator = val_evaluator
