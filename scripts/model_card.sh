#!/bin/bash
# Regenerates models/MODEL_CARD.md from the measurements committed beside the model: models/card/ (model-info,
# `emonet eval --json` and `emonet average` tables) and models/checkpoints/ (each stage's config and epoch log).
# After shipping a new model, refresh models/card/shipped.* first:
#   emonet model-info models/emonet.safetensors > models/card/shipped.info.txt
#   emonet eval --data fer2013.csv.gz --tta T --json > models/card/shipped.eval-T.json   (T = none, flip, crops)
# and add the new stage's stageN= / averages= arguments below.
set -euo pipefail
cd "$(dirname "$0")/.."
C=models/card K=models/checkpoints
last_step() { echo "swa=$1:$C/stage$1-last-step.info.txt:$C/stage$1-last-step.eval-none.json"; }
python3 scripts/model_card.py $C/shipped.info.txt $C/stage1.info.txt $K/emonet.stage2.log.json \
  $C/stage1-networks.json $C/shipped.eval-none.json $C/shipped.eval-flip.json $C/shipped.eval-crops.json \
  stage3=$K/emonet.stage3.log.json stage4=$K/emonet.stage4.log.json stage6=$K/emonet.stage6.log.json \
  stage7=$K/emonet.stage7.log.json stage9=$K/emonet.stage9.log.json stage10=$K/emonet.stage10.log.json \
  $(last_step 4) $(last_step 6) $(last_step 7) $(last_step 9) \
  compare=vgg3:86.8:1468839:$K/vgg3-recipe1.log.json averages=$C/stage10.averages.tsv \
  experiment=5:$C/stage5.averages.tsv experiment=8:$C/stage8.averages.tsv \
  recount=6:$C/stage6.averages.tsv recount=7:$C/stage7.averages.tsv recount=9:$C/stage9.averages.tsv \
  > models/MODEL_CARD.md
