#!/usr/bin/env bash
# Start NPROC processes of a tools/ entry point with torch.distributed.run:
#   bash tools/dist_run.sh ENTRY.py NPROC [ARGS]
# (used by dist_train.sh and dist_test.sh). Without CUDA the processes use
# the gloo backend on the CPU.
ENTRY=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$(dirname "$0")/$ENTRY" \
    "${@:3}" \
    --launcher pytorch
