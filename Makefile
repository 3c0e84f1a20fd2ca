# EmoNet — every entry point a user or CI needs. Two commands matter most:
#   make demo   set everything up and run the live detector (camera, or a clip when there is none)
#   make test   set everything up and run the test suite
# Targets install what they need themselves (Debian packages via apt-get, as root or with sudo).

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BUILD_FLAGS := -c $(CONFIG)
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)/emonet
SHARED ?= $(abspath ../shared)
VENV ?= .venv

# Debian packages, one per line of need:
#   OpenBLAS (the GEMM under the network), libjpeg-turbo + libpng (image files),
#   libv4l (cameras), SDL2 + SDL2_ttf + DejaVu (the window), OpenCV's cascade files (the reference the
#   detector's parity tests, fuzz seeds and benchmarks read; emonet itself uses its copies in assets/cascades/),
#   Xvfb (window tests without a display), FFmpeg (video files in and out; optional at run time) and the
#   headers of its libraries (Sources/CLibAV decodes video in the process with them, loaded by dlopen).
DEB_PACKAGES := libopenblas-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev libv4l-dev \
	libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core opencv-data xvfb xauth ffmpeg pkg-config \
	libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build install deb test-package test demo bench train eval clean help

all: build

help:
	@echo "make demo    set up and run the live detector"
	@echo "make test    set up and run the tests"
	@echo "make build   build emonet (release)"
	@echo "make install install emonet, its model, assets, man page and completions under PREFIX (default /usr/local)"
	@echo "make deb     the Debian package dist/emonet_$(VERSION)_$(DEB_ARCH).deb (Swift runtime linked in)"
	@echo "make test-package   install that package in a fresh Debian 12 root (debootstrap) and run emonet there"
	@echo "make bench   benchmarks against PyTorch / OpenCV (installs a Python venv)"
	@echo "make train   replay stage STAGE of the model's recipe into runs/ (DATA=path/to/fer2013.csv[.gz])"
	@echo "make eval    evaluate the shipped model on PublicTest (DATA=...)"
	@echo "make train-verifier  train the face verifier (models/face-verifier.safetensors; DATA=..., ../shared/media)"
	@echo "make test-asan / make test-tsan   the tests under AddressSanitizer / ThreadSanitizer"
	@echo "make fuzz    every file reader under libFuzzer (FUZZ_SECONDS each, default 180)"
	@echo "make soak    30 minutes of live + recording on the emulated camera: memory, descriptors, latency"

## deps: install the Debian packages that are missing (and only those).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "Debian packages: all present"; fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product emonet

## install: what the Debian package holds, under $(PREFIX) (default /usr/local): the emonet binary with the
## Swift runtime linked in (--static-swift-stdlib, no run path, its own build folder $(PACKAGE_BUILD)/build, stripped) as
## $(PREFIX)/bin/emonet, and what it finds beside itself, $(PREFIX)/share/emonet/{models/{emonet,face-verifier}.safetensors, assets/}
## (Sources/Assets/DataRoot.swift knows both this layout and a checkout's); the man page (swift-argument-parser's
## generate-manual), bash/zsh/fish completions (emonet --generate-completion-script) and the copyright file.
## `make deb` is `make install PREFIX=/usr DESTDIR=...` plus the control file, so both trees are the same
## (zsh's folder aside: Debian's zsh reads vendor-completions under /usr, site-functions under /usr/local).
PREFIX ?= /usr/local
DATADIR = $(DESTDIR)$(PREFIX)/share/emonet
PACKAGE_BUILD := .build-package
STATIC_FLAGS := -c release --scratch-path $(PACKAGE_BUILD)/build --static-swift-stdlib --disable-local-rpath
STATIC_BIN = $(shell $(SWIFT) build $(STATIC_FLAGS) --show-bin-path 2>/dev/null)/emonet
GENERATED := $(PACKAGE_BUILD)/generated
ZSH_COMPLETIONS = $(if $(filter /usr,$(PREFIX)),share/zsh/vendor-completions,share/zsh/site-functions)
.PHONY: static-build generated

static-build: deps
	$(SWIFT) build $(STATIC_FLAGS) --product emonet

## generated: the man page and completions, made from the built binary itself (so they say what it accepts).
## generate-manual is built from the swift-argument-parser checkout the build already resolved (offline).
## Default paths in the help texts are written as installed, under $(PREFIX)/share/emonet.
generated: static-build
	scripts/generate_docs.sh $(STATIC_BIN) $(PACKAGE_BUILD)/build/checkouts/swift-argument-parser $(PREFIX)/share/emonet $(GENERATED)

install: generated
	install -d $(DESTDIR)$(PREFIX)/bin $(DATADIR)/models $(DATADIR)/assets/cascades $(DATADIR)/assets/icons \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/$(ZSH_COMPLETIONS) $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
		$(DESTDIR)$(PREFIX)/share/doc/emonet
	install -m 755 -s $(STATIC_BIN) $(DESTDIR)$(PREFIX)/bin/emonet
	install -m 644 models/emonet.safetensors models/face-verifier.safetensors $(DATADIR)/models/
	install -m 644 assets/cascades/* $(DATADIR)/assets/cascades/
	install -m 644 assets/icons/* $(DATADIR)/assets/icons/
	install -m 644 $(GENERATED)/emonet.1.gz $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(GENERATED)/emonet.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/emonet
	install -m 644 $(GENERATED)/_emonet $(DESTDIR)$(PREFIX)/$(ZSH_COMPLETIONS)/_emonet
	install -m 644 $(GENERATED)/emonet.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/emonet.fish
	install -m 644 packaging/copyright $(DESTDIR)$(PREFIX)/share/doc/emonet/copyright

## deb: dist/emonet_$(VERSION)_$(DEB_ARCH).deb, the install tree above under /usr plus DEBIAN/control, whose
## Depends are computed by dpkg-shlibdeps from the binary's NEEDED libraries plus what it opens itself
## (OpenBLAS with dlopen, the DejaVu font); FFmpeg is a Recommends (only video files need it). The version is
## EmoNet.version (Sources/emonet/EmoNet.swift); scripts/make_deb.sh checks the binary says the same.
VERSION := $(shell sed -n 's/^ *static let version = "\(.*\)"$$/\1/p' Sources/emonet/EmoNet.swift)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB := dist/emonet_$(VERSION)_$(DEB_ARCH).deb
DEB_STAGE := $(PACKAGE_BUILD)/stage
DEB_MAINTAINER ?= EmoNet developers <emonet@localhost>

deb:
	@command -v dpkg-shlibdeps > /dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dpkg-dev; }
	rm -rf $(DEB_STAGE)
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(abspath $(DEB_STAGE))
	scripts/make_deb.sh $(DEB_STAGE) $(VERSION) $(DEB_ARCH) "$(DEB_MAINTAINER)" $(DEB)

## test-package: the package on a fresh Debian 12 (bookworm) root made with debootstrap (kept in
## $(PACKAGE_BUILD)/bookworm-base, copied anew each run; apt's downloads kept in $(PACKAGE_BUILD)/apt-archives),
## no Swift in it: apt installs the .deb and its Depends, then --version/--help/man, classify on a ../shared photo
## (the same lines as the build gives), replay of a .y4m without FFmpeg, then with the Recommends (FFmpeg)
## replay of an .mp4 and a batch; purge leaves nothing. Not in `make test` (minutes, network for the first root).
DEBIAN_MIRROR ?= http://deb.debian.org/debian
test-package: deb
	@command -v debootstrap > /dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq debootstrap; }
	$(SUDO) scripts/test_package.sh $(DEB) $(PACKAGE_BUILD) $(DEBIAN_MIRROR) $(SHARED)/media

# The suite is XCTest only (no Swift Testing pass, whose empty run would print "0 tests"). The last line
# is a plain "N passed, N failed, N skipped" (CI reads it): XCTest's xUnit report on Linux counts skipped
# tests as passed, so the run is verbose (-v prints every test's own output, skips included) into
# $(TEST_LOG); the console shows the progress lines, then scripts/test_summary.sh prints the output of
# the tests that failed and the counts (failures from the xUnit report, skips from the log).
TEST_BUILD := .build-test
XUNIT := $(TEST_BUILD)/test-results.xml
TEST_LOG := $(TEST_BUILD)/test-output.log

# Tests run against an optimised build (training tests need the speed); -enable-testing lets them
# use @testable imports there. That flag changes every module's build, so tests get their own build
# folder: alternating `make test` and `make build`/`make demo` no longer rebuilds everything each time.
TEST_FLAGS := $(BUILD_FLAGS) --scratch-path $(TEST_BUILD) -Xswiftc -enable-testing
# TESTS=Filter narrows a run (make test, test-asan, test-tsan), e.g. TESTS='PipelineTests|SessionTests'.
TEST_FILTER := $(if $(TESTS),--filter '$(TESTS)')

test: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	@rm -f $(XUNIT) $(TEST_LOG); \
	$(SWIFT) test $(TEST_FLAGS) --skip-build --parallel --num-workers 2 --disable-swift-testing $(TEST_FILTER) -v \
		--xunit-output $(XUNIT) 2>&1 | tee $(TEST_LOG) | grep --line-buffered -E '^\[[0-9]+/[0-9]+\] Testing |^error:'; \
	status=$${PIPESTATUS[0]}; \
	if [ -f $(XUNIT) ]; then scripts/test_summary.sh $(XUNIT) $(TEST_LOG) || status=1; fi; exit $$status

## test-asan / test-tsan: the suite under AddressSanitizer / ThreadSanitizer (optimised builds, as the
## product ships, in their own build folders; TESTS=Filter narrows it, e.g. TESTS='PipelineTests|SessionTests').
## ASan's leak check is off: Swift 6.3's XCTest (its test-case table) and Foundation (Process, Pipe,
## FileHandle, URL parsing) leak at exit in every test process, 11 reports with none of our frames on top;
## overflows and use-after-free still stop the run. Leaks of ours would show in `make soak`'s resident memory.
## Under TSan a child emonet's SIGINT/SIGTERM handlers (libdispatch signal sources) never fire, so the few
## tests that stop a child with a signal skip themselves there (EMONET_TSAN=1).
SANITIZER_FLAGS := -c release -Xswiftc -enable-testing
.PHONY: test-asan test-tsan
test-asan: deps
	$(SWIFT) build $(SANITIZER_FLAGS) --scratch-path .build-asan --sanitize=address --build-tests
	ASAN_OPTIONS=detect_leaks=0 \
		$(SWIFT) test $(SANITIZER_FLAGS) --scratch-path .build-asan --sanitize=address --skip-build --disable-swift-testing $(TEST_FILTER)

test-tsan: deps
	$(SWIFT) build $(SANITIZER_FLAGS) --scratch-path .build-tsan --sanitize=thread --build-tests
	EMONET_TSAN=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		$(SWIFT) test $(SANITIZER_FLAGS) --scratch-path .build-tsan --sanitize=thread --skip-build --disable-swift-testing $(TEST_FILTER)

## fuzz: each reader under libFuzzer + AddressSanitizer for FUZZ_SECONDS (default 180) each, FUZZ_JOBS at a time; corpora grow in
## fuzz/corpus/TARGET (kept between runs, not committed), findings land in fuzz/findings/TARGET.
## Seeds: valid inputs the fuzz binary makes itself, Debian's opencv-data cascades, and a session recorded
## here from the y4m seed, plus files whose headers lie (FuzzSeeds.swift); scripts/fuzz-dicts/TARGET.dict,
## when there is one, gives libFuzzer the format's tokens. FUZZ_TARGETS narrows it (cascade model csv y4m session image). Leak checks are off:
## Swift 6.3's FileManager.contents(atPath:) leaks its 4 KiB buffer on an empty file, which stopped the
## session target at its first input (a toolchain leak, not ours); crashes, overflows and hangs still count.
FUZZ_SECONDS ?= 180
FUZZ_TARGETS ?= cascade model csv y4m session image
FUZZ_JOBS ?= 1
FUZZ_BUILD := .build-fuzz
FUZZ_OUT := $(FUZZ_BUILD)/x86_64-unknown-linux-gnu/release
FUZZ_BIN := $(FUZZ_OUT)/EmoNetFuzz
FUZZER_NO_MAIN = $(firstword $(wildcard $(dir $(shell command -v swiftc))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
.PHONY: fuzz
fuzz: build
	@# Compiled with -sanitize=fuzzer,address; SwiftPM's own link then fails (that flag links libFuzzer's
	@# main, which collides with the @main SwiftPM points main at), so we link again against the runtime
	@# without main: EmoNetFuzz's main calls libFuzzer's driver itself.
	-$(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product EmoNetFuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -E '^(Compiling|Build)|error: [^l]' | tail -n 3
	swiftc -o $(FUZZ_BIN) -module-name EmoNetFuzz -emit-executable -sanitize=address -g \
		@$(FUZZ_OUT)/EmoNetFuzz.product/Objects.LinkFileList -Xlinker --gc-sections \
		-Xlinker --defsym -Xlinker main=EmoNetFuzz_main -L$(FUZZ_OUT) -Xlinker '-rpath=$$ORIGIN' \
		-ldl -ljpeg -lpng -lv4l2 -lv4lconvert -lSDL2 -lSDL2_ttf -Xlinker $(FUZZER_NO_MAIN) -lstdc++ 2>&1 | grep -v warning || true
	@test -x $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do mkdir -p fuzz/corpus/$$t fuzz/findings/$$t $(FUZZ_BUILD)/seeds/$$t; \
		EMONET_FUZZ_TARGET=$$t EMONET_FUZZ_SEEDS=$(FUZZ_BUILD)/seeds/$$t $(FUZZ_BIN) || exit 1; done
	@if echo " $(FUZZ_TARGETS) " | grep -q " session "; then \
		rm -rf $(FUZZ_BUILD)/recording && \
		$(BIN) live --input $(FUZZ_BUILD)/seeds/y4m/clip.y4m --no-window --record $(FUZZ_BUILD)/recording > /dev/null 2>&1 && \
		sep=$$'\n--emonet-part--\n' && r=$(FUZZ_BUILD)/recording && \
		{ cat $$r/session.json; printf '%s' "$$sep"; cat $$r/frames.index; printf '%s' "$$sep"; cat $$r/frames.mjpeg; \
		  printf '%s' "$$sep"; cat $$r/results.jsonl; } > $(FUZZ_BUILD)/seeds/session/recorded.session || exit 1; fi
	@mkdir -p fuzz/logs; echo "fuzzing $(FUZZ_TARGETS): $(FUZZ_SECONDS) s each, $(FUZZ_JOBS) at a time; logs in fuzz/logs/"
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I{} sh -c ' \
		dict=; [ -f scripts/fuzz-dicts/{}.dict ] && dict=-dict=scripts/fuzz-dicts/{}.dict; \
		ASAN_OPTIONS=detect_leaks=0 EMONET_FUZZ_TARGET={} $(FUZZ_BIN) fuzz/corpus/{} $(FUZZ_BUILD)/seeds/{} -max_total_time=$(FUZZ_SECONDS) $$dict \
			-max_len=65536 -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 -artifact_prefix=fuzz/findings/{}/ -print_final_stats=1 \
			> fuzz/logs/{}.log 2>&1; rc=$$?; \
		echo "{}: exit $$rc, $$(grep -c . fuzz/logs/{}.log) log lines, $$(ls fuzz/findings/{} | wc -l) findings"; \
		grep -E "stat::number_of_executed_units|cov: " fuzz/logs/{}.log | tail -n 2; exit $$rc'

clean:
	rm -rf .build .build-test .build-asan .build-tsan .build-fuzz dist
	scripts/test_package.sh --clean $(PACKAGE_BUILD)

# ---------------------------------------------------------------------------------------------------------
## train: replay stage STAGE (default 1) of the shipped model's recipe (models/emonet.recipe.json) into
## runs/stageSTAGE/ (config.json, model, checkpoint, log, curves, epoch snapshots, average); each stage's
## inputs are earlier stages' outputs there. Interrupt at will: running it again resumes. FERPLUS= for stage 5.
DATA ?= $(SHARED)/data/fer2013/fer2013-train-publictest.csv.gz
STAGE ?= 1

train: build
	@test -f "$(DATA)" || { echo "make train: no FER-2013 CSV at $(DATA); pass DATA=path/to/fer2013.csv[.gz]"; exit 1; }
	@mkdir -p runs/stage$(STAGE)
	python3 scripts/train_stage.py "$(STAGE)" --emonet $(BIN) --data "$(DATA)" $(if $(FERPLUS),--ferplus "$(FERPLUS)") \
		2>&1 | tee -a runs/stage$(STAGE)/train.log; exit $${PIPESTATUS[0]}

## train-verifier: the face / not-face network that drops the cascade's false boxes (FaceVerifier), trained by
## our engine in about 2 minutes: faces from FER-2013 and ../shared/media, non-faces from what the multi-pose
## search proposes away from faces, windows beside faces, and photos without faces (the image data Debian's
## python3-skimage ships, fetched with apt-get download as `make demo` does; its LFW subset is the independent
## test). Writes VERIFIER_OUT (default runs/verifier/face-verifier.safetensors; copy it over the shipped one
## to ship it) and prints held-out precision/recall; the figures go to runs/verifier/report.json.
VERIFIER_DIR := .build-verifier
VERIFIER_OUT ?= runs/verifier/face-verifier.safetensors
SKIMAGE_DATA := usr/lib/python3/dist-packages/skimage/data
# Photos without a face (skimage's camera.png and astronaut.png show people: left out).
VERIFIER_NEGATIVES := brick.png cell.png chelsea.png clock_motion.png coffee.png coins.png color.png grass.png gravel.png \
	horse.png hubble_deep_field.jpg ihc.png logo.png moon.png motorcycle_left.png motorcycle_right.png page.png \
	retina.jpg rocket.jpg text.png microaneurysms.png phantom.png

$(VERIFIER_DIR)/.ready:
	@mkdir -p $(VERIFIER_DIR)/negatives
	@echo "Fetching python3-skimage (its photos without faces and its LFW subset) with apt-get download"
	@cd $(VERIFIER_DIR) && rm -rf unpacked && apt-get download -q python3-skimage 2>/dev/null && \
		dpkg-deb -x python3-skimage_*.deb unpacked && rm -f python3-skimage_*.deb
	@for f in $(VERIFIER_NEGATIVES); do cp $(VERIFIER_DIR)/unpacked/$(SKIMAGE_DATA)/$$f $(VERIFIER_DIR)/negatives/; done
	@cp $(VERIFIER_DIR)/unpacked/$(SKIMAGE_DATA)/lfw_subset.npy $(VERIFIER_DIR)/ && rm -rf $(VERIFIER_DIR)/unpacked
	@touch $@

.PHONY: train-verifier
train-verifier: deps $(VERIFIER_DIR)/.ready
	@test -f "$(DATA)" || { echo "make train-verifier: no FER-2013 CSV at $(DATA); pass DATA=path/to/fer2013.csv[.gz]"; exit 1; }
	$(SWIFT) build -c release --product EmoNetBench
	@mkdir -p $(dir $(VERIFIER_OUT))
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" verifier --data "$(DATA)" --media $(SHARED)/media \
		--negatives $(VERIFIER_DIR)/negatives --lfw $(VERIFIER_DIR)/lfw_subset.npy --epochs 16 \
		--out $(VERIFIER_OUT) --report $(dir $(VERIFIER_OUT))report.json $(if $(FORCE),--force)

## eval: the shipped model on PublicTest (the validation split), without and with test-time augmentation.
MODEL ?= models/emonet.safetensors
EVAL_DIR ?= runs/eval

eval: build
	@test -f "$(DATA)" || { echo "make eval: no FER-2013 CSV at $(DATA); pass DATA=path/to/fer2013.csv[.gz]"; exit 1; }
	@mkdir -p $(EVAL_DIR)
	$(BIN) eval --data "$(DATA)" --model $(MODEL) --split PublicTest --plot $(EVAL_DIR)/confusion.png --force
	$(BIN) eval --data "$(DATA)" --model $(MODEL) --split PublicTest --tta flip
	$(BIN) eval --data "$(DATA)" --model $(MODEL) --split PublicTest --tta crops

# ---------------------------------------------------------------------------------------------------------
## bench: every benchmark; each prints a table and writes JSON under bench-results/.
.PHONY: bench-network
bench: bench-network bench-detector bench-faces bench-scans bench-pipeline bench-replay bench-batch

## bench-network: the engine vs PyTorch CPU on vgg4s, alternated per repeat (inference per face fp32/int8, training images/s); docs/engine.md.
bench-network: deps $(VENV)/.ready
	$(SWIFT) build -c release --product EmoNetBench
	EMONET_BENCH_PYTHON=$(VENV)/bin/python "$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" network

# Python is only used to regenerate reference fixtures and to run the reference side of benchmarks.
$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q numpy torch opencv-python-headless==4.10.0.84
	touch $@

# ---------------------------------------------------------------------------------------------------------
## demo: the live detector on the first camera; with no camera, on a clip with a real face made at set-up
## from the NASA portrait of Eileen Collins that Debian's python3-skimage ships (fetched with apt-get
## download and unpacked here: nothing is installed, no media is committed). With no display, headless.
DEMO_DIR := .build-demo
DEMO_IMAGE := $(DEMO_DIR)/astronaut.png
DEMO_CLIP := $(DEMO_DIR)/astronaut.mp4
SKIMAGE_ASTRONAUT := usr/lib/python3/dist-packages/skimage/data/astronaut.png

$(DEMO_IMAGE):
	@mkdir -p $(DEMO_DIR)
	@if [ -f /$(SKIMAGE_ASTRONAUT) ]; then cp /$(SKIMAGE_ASTRONAUT) $@; else \
		echo "Fetching python3-skimage (for its astronaut.png) with apt-get download"; \
		(cd $(DEMO_DIR) && apt-get download -q python3-skimage 2>/dev/null) && \
		dpkg-deb --fsys-tarfile $(DEMO_DIR)/python3-skimage_*.deb | tar -xO ./$(SKIMAGE_ASTRONAUT) > $@.tmp && \
		mv $@.tmp $@ && rm -f $(DEMO_DIR)/python3-skimage_*.deb; fi

# 12 s at 30 fps, 640x480: the portrait drifts across a dark background so the tracker has work to do.
$(DEMO_CLIP): $(DEMO_IMAGE)
	ffmpeg -v error -y -loop 1 -i $< -filter_complex \
		"color=c=0x303030:s=640x480:r=30[bg];[0:v]scale=400:400[a];[bg][a]overlay=x='120+100*sin(2*PI*t/6)':y='40+20*sin(2*PI*t/4)':shortest=1" \
		-t 12 -r 30 -c:v libx264 -pix_fmt yuv420p $@

demo: build $(DEMO_CLIP)
	@if $(BIN) devices | grep -q '^/dev/video'; then \
		$(BIN) live; \
	else \
		echo "No camera found: playing $(DEMO_CLIP) through the live path instead."; \
		if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
			$(BIN) live --input $(DEMO_CLIP); \
		else \
			$(BIN) live --input $(DEMO_CLIP) > $(DEMO_DIR)/demo.jsonl && \
			echo "No display: ran headless; one JSON line per frame is in $(DEMO_DIR)/demo.jsonl ($$(wc -l < $(DEMO_DIR)/demo.jsonl) frames)."; \
		fi; \
	fi

## bench-detector: our Haar face detector vs OpenCV's detectMultiScale on ../shared/media photos
## scaled to 640x480, (1.1,5,30) and (1.2,5,60), one thread then two; each case is timed OpenCV, ours,
## ours, OpenCV (OpenCV in a Python process serving requests), and checked for the same pixels and boxes.
## Table on stdout, JSON in bench-results/detector.json.
.PHONY: bench-detector
bench-detector: deps $(VENV)/.ready
	$(SWIFT) build -c release --product EmoNetBench
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" detector --media $(SHARED)/media \
		--python $(VENV)/bin/python --out bench-results/detector.json

## bench-faces: the multi-pose face search (emonet detect --poses multi) against the upright frontal scan:
## recall on ../shared/media photos turned 0/15/30/45°, boxes on the no-face photo and clip, faces per
## frame on the clips, and time per 640x480 photo against OpenCV's frontal detectMultiScale (same run).
## Table on stdout, JSON in bench-results/faces.json. docs/faces.md explains each figure.
.PHONY: bench-faces
bench-faces: deps $(VENV)/.ready
	$(SWIFT) build -c release --product EmoNetBench
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" faces --media $(SHARED)/media \
		--python $(VENV)/bin/python --out bench-results/faces.json

## bench-scans: what each search of the live face finder costs per frame on the ../shared clips (decoded once):
## the upright full scan, each turned and profile scan, the regional search around tracked faces; the fastest
## of SCAN_REPEATS passes (default 5). Table on stdout, JSON in bench-results/scans.json.
SCAN_REPEATS ?= 5
.PHONY: bench-scans
bench-scans: deps
	$(SWIFT) build -c release --product EmoNetBench
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" scans --media $(SHARED)/media --repeats $(SCAN_REPEATS)

## bench-pipeline: the live path under load: 640x480 at 30 fps with one face and with five, streamed by the
## emulated V4L2 camera through libv4l2/libv4lconvert, the detector, tracker and (with a model) classifier.
## Processed fps, drops, latency p50/p95; JSON in bench-results/pipeline.json.
.PHONY: bench-pipeline
bench-pipeline: deps $(DEMO_IMAGE)
	$(SWIFT) build -c release --product EmoNetBench
	$(SWIFT) build -c release --product V4L2Emulator
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" pipeline --image $(DEMO_IMAGE) \
		$(if $(wildcard models/emonet.safetensors),--model models/emonet.safetensors)

## soak: `emonet live` on the emulated camera, recording, for SOAK_SECONDS (default 1800): resident memory,
## open descriptors and latency sampled every 10 s, frame counts checked at the end (Ctrl-C-style SIGINT),
## then the session replayed against its recording. Not in CI. Output: runs/soak/<UTC date-time>/{soak.json,soak.png},
## a new folder each run (earlier runs are kept; EmoNetBench soak --out DIR refuses an existing DIR without --force).
SOAK_SECONDS ?= 1800
.PHONY: soak
soak: deps $(DEMO_IMAGE)
	$(SWIFT) build -c release --product emonet
	$(SWIFT) build -c release --product EmoNetBench
	$(SWIFT) build -c release --product V4L2Emulator
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" soak --seconds $(SOAK_SECONDS) --image $(DEMO_IMAGE) --replay \
		$(if $(wildcard models/emonet.safetensors),--model models/emonet.safetensors)

# ---------------------------------------------------------------------------------------------------------
## bench-replay: `emonet replay` throughput on the ../shared/media clips, one and two cores (taskset), against
## the `fer` package's video analysis (TFLite model, OpenCV Haar with our detector parameters) on the same
## clips, interleaved (ours, then fer, per repeat; the ratio is the median of the per-repeat ratios). fer comes
## from PyPI into its own venv (it pulls TensorFlow and PyTorch); fer 25.x still imports
## pkg_resources, which setuptools dropped in 81. Table on stdout, JSON in bench-results/replay.json.
BENCH_REPLAY_VENV := .build-bench-replay/venv

$(BENCH_REPLAY_VENV)/.ready:
	python3 -m venv $(BENCH_REPLAY_VENV)
	$(BENCH_REPLAY_VENV)/bin/pip install -q --upgrade pip
	$(BENCH_REPLAY_VENV)/bin/pip install -q fer "setuptools<81"
	touch $@

.PHONY: bench-replay
bench-replay: deps $(BENCH_REPLAY_VENV)/.ready
	$(SWIFT) build -c release --product emonet
	$(SWIFT) build -c release --product EmoNetBench
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" replay --media $(SHARED)/media --python $(BENCH_REPLAY_VENV)/bin/python

## bench-batch: a folder of BATCH_COPIES (default 20) short clips (copies of the ../shared/media single-face and
## no-face clips in turn) as one `emonet replay DIR --jobs N` batch, N = 1 and 2, against the `fer` package
## looping over the same clips in one process, on one and two cores (taskset), interleaved, BATCH_REPEATS
## repeats (default 3); plus the per-input start-up of a batch (batches of 1 and 20 one-frame clips). Same fer
## venv as bench-replay. Table on stdout, JSON in bench-results/batch.json.
BATCH_COPIES ?= 20
BATCH_REPEATS ?= 3
.PHONY: bench-batch
bench-batch: deps $(BENCH_REPLAY_VENV)/.ready
	$(SWIFT) build -c release --product emonet
	$(SWIFT) build -c release --product EmoNetBench
	"$$($(SWIFT) build -c release --show-bin-path)/EmoNetBench" batch --media $(SHARED)/media --python $(BENCH_REPLAY_VENV)/bin/python \
		--copies $(BATCH_COPIES) --repeats $(BATCH_REPEATS)
