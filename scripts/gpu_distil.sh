#!/bin/sh
# The model issue's GPU session (docs/training.md, "Distilling on a GPU"): two calls of a GPU machine, each well
# inside a 10-minute call, with only PyTorch and numpy there (no Swift):
#
#   scripts/gpu_distil.sh teachers ARRAYS OUT
#       four teachers side by side on the one GPU (two vgg4s seeds, vgg4, vgg4-wide), then each alone and their
#       averaged prediction on PublicTest, without and with flip: OUT/t1..t4.safetensors, OUT/teachers.json
#   scripts/gpu_distil.sh student ARRAYS OUT TEACHER.safetensors...
#       a vgg4s distilled from the teachers' mean prediction on each augmented image and its mirror (weight 0.5,
#       temperature 1), then scored: OUT/student.safetensors, OUT/student.json
#
# ARRAYS is train_torch.py --write-arrays' file (Training + PublicTest, xz). Every run's log goes to OUT/*.log
# and its last lines to stderr. EPOCHS (default 120) sets each run's length; a vgg4s does about 27 epochs a
# minute on an H200 with four beside it. SMOKE=1 checks the whole sequence here on the CPU in a few minutes
# (the tiny preset, 1 epoch). The models come back to be scored by the engine (`emonet eval`).
set -eu
phase=${1:-}; arrays=${2:-}; out=${3:-}
if [ -z "$phase" ] || [ -z "$arrays" ] || [ -z "$out" ]; then
    echo "usage: scripts/gpu_distil.sh teachers|student ARRAYS OUT [TEACHER.safetensors...]" >&2
    exit 2
fi
shift 3
[ -f "$arrays" ] || { echo "gpu_distil.sh: $arrays: no such arrays file (train_torch.py --write-arrays makes one)" >&2; exit 1; }
mkdir -p "$out"
here=$(dirname "$0")
python=${PYTHON:-python3}
epochs=${EPOCHS:-120}
device=${DEVICE:-auto}
if [ "${SMOKE:-0}" = 1 ]; then
    epochs=1; device=cpu
fi
arch() { if [ "${SMOKE:-0}" = 1 ]; then echo tiny; else echo "$1"; fi; }

train() {  # name arch seed [extra options]
    name=$1; a=$(arch "$2"); seed=$3; shift 3
    PYTHONUNBUFFERED=1 "$python" "$here/train_torch.py" --arrays "$arrays" --arch "$a" --seed "$seed" \
        --epochs "$epochs" --device "$device" --out "$out/$name.safetensors" --force "$@" >"$out/$name.log" 2>&1
}

case "$phase" in
teachers)
    started=$(date +%s)
    train t1 vgg4s 11 & p1=$!
    train t2 vgg4s 12 --erasing 0.3 & p2=$!
    train t3 vgg4 13 & p3=$!
    train t4 vgg4-wide 14 & p4=$!
    status=0
    for p in $p1 $p2 $p3 $p4; do wait "$p" || status=1; done
    for n in t1 t2 t3 t4; do tail -n 2 "$out/$n.log" >&2; done
    echo "teachers: $(( $(date +%s) - started )) s" >&2
    [ "$status" = 0 ] || { echo "gpu_distil.sh: a teacher failed (its log is above)" >&2; exit 1; }
    "$python" "$here/train_torch.py" --evaluate "$out/t1.safetensors" "$out/t2.safetensors" "$out/t3.safetensors" \
        "$out/t4.safetensors" --arrays "$arrays" --device "$device" >"$out/teachers.json"
    ;;
student)
    [ "$#" -gt 0 ] || { echo "gpu_distil.sh student: name the teachers' model files" >&2; exit 2; }
    teachers=$(printf '%s,' "$@"); teachers=${teachers%,}
    started=$(date +%s)
    train student vgg4s 21 --teachers "$teachers" --teacher-weight 0.5 --teacher-tta flip \
        || { tail -n 5 "$out/student.log" >&2; exit 1; }
    tail -n 2 "$out/student.log" >&2
    echo "student: $(( $(date +%s) - started )) s" >&2
    "$python" "$here/train_torch.py" --evaluate "$out/student.safetensors" --arrays "$arrays" --device "$device" \
        >"$out/student.json"
    ;;
*)
    echo "gpu_distil.sh: the phase is teachers or student, not '$phase'" >&2
    exit 2
    ;;
esac
