#!/bin/bash
# Regenerates models/MODEL_CARD.md from the measurements committed beside the model in models/card/ (model-info,
# `emonet eval --json`, `emonet average` tables, and each stage's epoch records from its training log) and from the
# recipe, models/emonet.recipe.json (each stage's config). Checkpoints and full logs are not committed:
# `make train STAGE=k` regenerates them in runs/stagek/.
# After shipping a new model, refresh models/card/shipped.* first:
#   emonet model-info models/emonet.safetensors > models/card/shipped.info.txt
#   emonet eval --data fer2013.csv.gz --tta T --json > models/card/shipped.eval-T.json   (T = none, flip, crops)
# add the new stage to the recipe, keep the fields the card reads from its log (runs/stageN/emonet.log.json: epoch,
# learningRate, seconds, imagesPerSecond, validationAccuracy) as models/card/stageN.epochs.json, and add its
# stageN= / averages= arguments below. models/card/engine-network.json is the newest `make bench-network` JSON
# (bench-results/network.json), for the card's inference times.
set -euo pipefail
cd "$(dirname "$0")/.."
C=models/card
last_step() { echo "swa=$1:$C/stage$1-last-step.info.txt:$C/stage$1-last-step.eval-none.json"; }
python3 scripts/model_card.py $C/shipped.info.txt $C/stage1.info.txt $C/stage2.epochs.json \
  $C/stage1-networks.json $C/shipped.eval-none.json $C/shipped.eval-flip.json $C/shipped.eval-crops.json \
  recipe=models/emonet.recipe.json engine=$C/engine-network.json \
  stage3=$C/stage3.epochs.json stage4=$C/stage4.epochs.json stage6=$C/stage6.epochs.json \
  stage7=$C/stage7.epochs.json stage9=$C/stage9.epochs.json stage10=$C/stage10.epochs.json \
  $(last_step 4) $(last_step 6) $(last_step 7) $(last_step 9) \
  compare=vgg3:86.8:1468839:$C/vgg3.epochs.json averages=$C/stage10.averages.tsv \
  experiment=5:$C/stage5.averages.tsv experiment=8:$C/stage8.averages.tsv \
  recount=6:$C/stage6.averages.tsv recount=7:$C/stage7.averages.tsv recount=9:$C/stage9.averages.tsv \
  > models/MODEL_CARD.md
