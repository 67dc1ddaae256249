# UPS on all five realbench tasks with H = 1 block per encoder layer: every
# task takes the same path, no routing (the ablation of the routed
# encoder). Everything else as ./ups_realbench_all.py.
#   python tools/train.py configs/realbench/ups_realbench_h1.py
_base_ = ['./ups_realbench_all.py']

model = dict(encoder=dict(num_blocks=1))
