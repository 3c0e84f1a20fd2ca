#!/usr/bin/env python3
"""Replays one stage of the shipped model's recipe (models/emonet.recipe.json) into runs/: `make train STAGE=k`.

usage: train_stage.py STAGE --emonet BIN --data FER2013.csv[.gz] [--ferplus FER+.csv] [--recipe FILE]

Writes the stage's config to runs/stageK/config.json (the recipe's `config`, as its checkpoint recorded it), then
runs `emonet train --config` into the stage's `out` (or `--resume` from its checkpoint when an earlier sitting left
one), stops after `stopAfterEpoch` when the recipe says the stage was stopped there, and runs `emonet average` of
the listed epochs into the average's `out`. A stage's initial weights and teachers are earlier stages' outputs
under runs/; when one is missing, it names the stage that writes it. Run again to continue an interrupted stage:
finished steps are skipped. Each step's command is printed before it runs.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

RECIPE_FORMAT, RECIPE_VERSION = "emonet-recipe", 1


class RecipeError(Exception):
    """One line for the user: the file or stage, what is wrong, what to do."""


def load_recipe(path):
    try:
        with open(path) as f:
            recipe = json.load(f)
    except OSError as e:
        raise RecipeError(f"{path}: cannot be read ({e.strerror})")
    except json.JSONDecodeError as e:
        raise RecipeError(f"{path}: not JSON ({e.msg}, line {e.lineno})")
    if not isinstance(recipe, dict) or recipe.get("format") != RECIPE_FORMAT:
        raise RecipeError(f"{path}: field 'format' must be '{RECIPE_FORMAT}'")
    if recipe.get("version") != RECIPE_VERSION:
        raise RecipeError(f"{path}: field 'version' is {recipe.get('version')!r}; this script reads version {RECIPE_VERSION}")
    stages = recipe.get("stages")
    if not isinstance(stages, list) or not stages:
        raise RecipeError(f"{path}: field 'stages' must be a non-empty list")
    for i, s in enumerate(stages):
        where = f"{path}: stages[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("stage"), str):
            raise RecipeError(f"{where}: field 'stage' must be a string")
        if not isinstance(s.get("config"), dict):
            raise RecipeError(f"{where} (stage {s['stage']}): field 'config' must be an object")
        if not isinstance(s.get("out"), str) or not s["out"].endswith(".safetensors"):
            raise RecipeError(f"{where} (stage {s['stage']}): field 'out' must be a .safetensors path")
        stop = s.get("stopAfterEpoch")
        if stop is not None and not (isinstance(stop, int) and 1 <= stop <= s["config"].get("epochs", 0)):
            raise RecipeError(f"{where} (stage {s['stage']}): field 'stopAfterEpoch' must be an epoch of the config's plan")
        avg = s.get("average")
        if avg is not None:
            epochs = avg.get("epochs") if isinstance(avg, dict) else None
            if not (isinstance(epochs, list) and epochs and all(isinstance(e, int) and e >= 1 for e in epochs)
                    and isinstance(avg.get("out"), str) and s.get("keepEpochs") is True):
                raise RecipeError(f"{where} (stage {s['stage']}): field 'average' needs 'epochs' (epoch numbers), 'out', "
                                  f"and the stage's 'keepEpochs': true")
    return recipe


def stem(out):
    return out[: -len(".safetensors")]


def outputs(stage):
    """Every file a stage leaves for later stages: its best model, its epoch snapshots, its average."""
    files = {stage["out"]}
    if stage.get("keepEpochs"):
        last = stage.get("stopAfterEpoch") or stage["config"]["epochs"]
        files |= {f"{stem(stage['out'])}.epoch{e}.safetensors" for e in range(1, last + 1)}
    if stage.get("average"):
        files.add(stage["average"]["out"])
    return files


def epochs_done(stage):
    try:
        with open(f"{stem(stage['out'])}.log.json") as f:
            return len(json.load(f))
    except (OSError, json.JSONDecodeError):
        return 0


def write_atomically(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def run(command, stop_when=None):
    """Runs a command, echoing it; with stop_when, polls it every second and stops the run (SIGINT) once true."""
    print("+ " + " ".join(command), flush=True)
    process = subprocess.Popen(command)
    while True:
        try:
            status = process.wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            if stop_when and stop_when():
                process.send_signal(signal.SIGINT)
                process.wait()
                return
    if status != 0:
        raise RecipeError(f"`{' '.join(command)}` failed with status {status}")


def replay(recipe_path, recipe, name, emonet, data, ferplus):
    stages = recipe["stages"]
    by_name = {s["stage"]: s for s in stages}
    if name not in by_name:
        raise RecipeError(f"{recipe_path}: no stage '{name}' (stages: {', '.join(by_name)})")
    stage = by_name[name]
    config = dict(stage["config"])
    if ferplus and config.get("ferPlusVotes"):
        config["ferPlusVotes"] = ferplus
    writers = {f: s["stage"] for s in stages for f in outputs(s)}
    for needed in [config.get("initialWeights")] + list(config.get("teachers") or []):
        if needed and not os.path.exists(needed):
            writer = writers.get(needed)
            hint = f"stage {writer} writes it: run `make train STAGE={writer}` first" if writer else "no stage of the recipe writes it"
            raise RecipeError(f"stage {name} starts from {needed}, which is missing; {hint}")
    votes = config.get("ferPlusVotes")
    if votes and not os.path.exists(votes):
        raise RecipeError(f"stage {name} blends FER+ votes from {votes}, which is missing; pass FERPLUS=path/to/fer2013new.csv")

    out, stop = stage["out"], stage.get("stopAfterEpoch")
    last = stop or config["epochs"]
    config_path = os.path.join(os.path.dirname(out), "config.json")
    write_atomically(config_path, json.dumps(config, indent=1, sort_keys=True) + "\n")
    keep = ["--keep-epochs"] if stage.get("keepEpochs") else []
    done = epochs_done(stage)
    checkpoint = f"{stem(out)}.checkpoint.safetensors"
    if done >= last:
        print(f"stage {name}: {last} epochs already trained ({out})", flush=True)
    else:
        if done > 0 and os.path.exists(checkpoint):
            command = [emonet, "train", "--data", data, "--out", out, "--resume", checkpoint] + keep
        else:
            command = [emonet, "train", "--data", data, "--out", out, "--config", config_path] + keep
        run(command, stop_when=(lambda: epochs_done(stage) >= stop) if stop else None)
        if epochs_done(stage) < last:
            raise RecipeError(f"stage {name} stopped after {epochs_done(stage)} of {last} epochs; run it again to continue")

    average = stage.get("average")
    if average:
        if os.path.exists(average["out"]):
            print(f"stage {name}: {average['out']} already written", flush=True)
        else:
            sources = [f"{stem(out)}.epoch{e}.safetensors" for e in average["epochs"]]
            run([emonet, "average"] + sources + ["--data", data] + (["--plain"] if average.get("plain") else [])
                + ["--out", average["out"]])
    if recipe.get("shipped") in outputs(stage):
        int8 = recipe.get("int8")
        if int8 is None:
            print(f"stage {name} wrote {recipe['shipped']}, the recipe's shipped model (compare it with models/emonet.safetensors)")
        else:
            if os.path.exists(int8["out"]):
                print(f"stage {name}: {int8['out']} already written", flush=True)
            else:
                run([emonet, "quantize", "--model", recipe["shipped"], "--data", data, "--images", str(int8["images"]),
                     "--percentile", str(int8["percentile"]), "--out", int8["out"]])
            print(f"stage {name} wrote {int8['out']}, the recipe's shipped model: {recipe['shipped']} with its int8 "
                  "calibration (compare it with models/emonet.safetensors)")


def main():
    parser = argparse.ArgumentParser(description="Replay one stage of models/emonet.recipe.json into runs/.")
    parser.add_argument("stage")
    parser.add_argument("--emonet", required=True, help="the emonet binary")
    parser.add_argument("--data", required=True, help="FER-2013 CSV (emotion,pixels,Usage), plain or .gz")
    parser.add_argument("--ferplus", help="FER+ votes (fer2013new.csv) for the stages that blend them")
    parser.add_argument("--recipe", default="models/emonet.recipe.json")
    args = parser.parse_args()
    try:
        replay(args.recipe, load_recipe(args.recipe), args.stage, args.emonet, args.data, args.ferplus)
    except RecipeError as e:
        print(f"make train: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
