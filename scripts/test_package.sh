#!/usr/bin/env bash
# `make test-package`: the Debian package on a fresh Debian 12 (bookworm) system with no Swift on it.
# A minimal root made by debootstrap (cached in WORK/bookworm-base, copied anew to WORK/root each run; apt's
# downloads cached in WORK/apt-archives) gets the .deb through packaging/apt-install.sh, the same step
# packaging/Containerfile runs, so apt resolves its Depends from Debian. Then, inside the root (chroot):
#   1. without Recommends: --version, --help, man page and completions in place; classify on ../shared photos
#      gives the same lines as the package's own binary run here; replay of a .y4m writes its results;
#      replay of an .mp4 is refused with a message naming FFmpeg (nothing else needs it)
#   2. purge leaves no file behind; installed again with its Recommends: FFmpeg comes in, replay of the .mp4
#      (decoded in the process by FFmpeg's libraries; the same results through the ffmpeg program) and a
#      two-input batch write their results
# Every step prints its name and seconds; the first that fails stops the run with "test-package: FAILED".
# Usage: scripts/test_package.sh DEB WORK MIRROR MEDIA_DIR      (as root)
#        scripts/test_package.sh --clean WORK                   (unmounts and removes WORK's roots)
set -euo pipefail

unmount_under() {  # every mount at or below $1, deepest first
    local mounts
    mounts=$(findmnt -rn -o TARGET | awk -v root="$1" 'index($0, root "/") == 1 || $0 == root' | sort -r)
    for m in $mounts; do umount -l "$m"; done
}

if [ "${1:-}" = --clean ]; then
    work=$(realpath -m "$2")
    [ -d "$work" ] || exit 0
    unmount_under "$work"
    rm -rf "$work"
    exit 0
fi

[ $# -eq 4 ] || { echo "usage: $0 DEB WORK MIRROR MEDIA_DIR" >&2; exit 2; }
deb=$(realpath "$1") work=$(realpath -m "$2") mirror=$3 media=$4
[ "$(id -u)" = 0 ] || { echo "test-package: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
[ -f "$deb" ] || { echo "test-package: no package at $1 (make deb)" >&2; exit 1; }
for f in pyfeat_single_face.jpg fr_two_people.jpg pyfeat_single_face.mp4; do
    [ -f "$media/$f" ] || { echo "test-package: $media/$f is missing (the ../shared media folder)" >&2; exit 1; }
done
command -v debootstrap > /dev/null || { echo "test-package: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
command -v ffmpeg > /dev/null || { echo "test-package: the host needs ffmpeg to make the .y4m clip (make deps)" >&2; exit 1; }

started=$(date +%s.%N)
version=$(dpkg-deb -f "$deb" Version)
base=$work/bookworm-base root=$work/root archives=$work/apt-archives
mkdir -p "$work" "$archives/partial"

seconds_since() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; }
fail() { echo "test-package: FAILED: $*" >&2; exit 1; }

# --- the root ------------------------------------------------------------------------------------------
if [ ! -d "$base" ]; then
    echo "== debootstrap bookworm (minbase) from $mirror into $base (once; cached)"
    rm -rf "$base.tmp"
    debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" > "$work/debootstrap.log" 2>&1 \
        || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap (log: $work/debootstrap.log)"; }
    mv "$base.tmp" "$base"
fi
unmount_under "$root"
rm -rf "$root"
cp -a "$base" "$root"
trap 'unmount_under "$root"' EXIT
# A fresh Debian 12 as installed: the release, its updates and security, from the same mirror host.
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"  # a private instance: apt's terminal log
mount --bind "$archives" "$root/var/cache/apt/archives"

mkdir -p "$root/tmp/emonet" "$root/tmp/media"
cp "$deb" "$(dirname "$0")/../packaging/apt-install.sh" "$root/tmp/emonet/"
cp "$media/pyfeat_single_face.jpg" "$media/fr_two_people.jpg" "$media/pyfeat_single_face.mp4" "$root/tmp/media/"
[ -f "$work/clip.y4m" ] || ffmpeg -v error -y -i "$media/pyfeat_single_face.mp4" -pix_fmt yuv420p "$work/clip.y4m"
cp "$work/clip.y4m" "$root/tmp/media/clip.y4m"
frames=72  # pyfeat_single_face.mp4 (../shared/media/SOURCES.md)

# What the package's own binary prints here for the photos: the root must print the same lines.
host=$(mktemp -d)
dpkg-deb -x "$deb" "$host"
(cd "$root/tmp/media" && env -u EMONET_MODEL -u EMONET_CASCADE "$host/usr/bin/emonet" classify pyfeat_single_face.jpg fr_two_people.jpg) \
    > "$root/tmp/classify.expected" || fail "the package's binary does not run on this host"
rm -rf "$host"

# --- steps inside the root -----------------------------------------------------------------------------
# A clean environment, as a new login would have (OPENBLAS_CORETYPE is passed on when the host sets it).
inside() {
    chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        ${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE} /bin/sh -ec "$1"
}
step() {  # step NAME SCRIPT: runs SCRIPT in the root, prints its output indented and its seconds
    local name=$1 t0 status=0 output
    t0=$(date +%s.%N)
    output=$(inside "$2" 2>&1) || status=$?
    [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/    /' | tail -n 25
    printf '== %-62s %6.1f s\n' "$name" "$(seconds_since "$t0")"
    [ $status = 0 ] || fail "$name (exit $status)"
}

echo "== testing $(basename "$deb") ($(stat -c %s "$deb") bytes) in a fresh bookworm root at $root"
step "the root has no Swift" '
    ! command -v swift && ! command -v swiftc
    found=$(find / -xdev \( -name "libswift*" -o -name "libFoundation*.so*" -o -name "libdispatch.so*" \) -print -quit)
    [ -z "$found" ] || { echo "found $found"; exit 1; }
    grep PRETTY_NAME /etc/os-release'
before=$(inside 'dpkg-query -W -f="\${binary:Package}\n" | wc -l')
step "apt installs the package and its Depends (no Recommends)" \
    'sh /tmp/emonet/apt-install.sh --no-install-recommends /tmp/emonet/emonet_*.deb > /tmp/apt-1.log 2>&1 || { tail -n 30 /tmp/apt-1.log; exit 1; }
     grep -E "^(Need to get|After this operation|[0-9]+ upgraded)" /tmp/apt-1.log'
after=$(inside 'dpkg-query -W -f="\${binary:Package}\n" | wc -l')
echo "    $((after - before)) packages installed from Debian (emonet included)"
step "emonet --version is $version, --help lists the commands" "
    test \"\$(emonet --version)\" = '$version'
    emonet --help | grep -E '^  (live|replay|classify|detect|train) +[A-Z]' | wc -l | grep -qx 5
    emonet replay --help > /dev/null
    emonet --version"
step "man page and completions are installed" '
    zcat /usr/share/man/man1/emonet.1.gz | grep -q "^\.Nm emonet"
    zcat /usr/share/man/man1/emonet.1.gz | grep -q replay
    for f in /usr/share/bash-completion/completions/emonet /usr/share/zsh/vendor-completions/_emonet \
             /usr/share/fish/vendor_completions.d/emonet.fish; do grep -q replay "$f" || { echo "$f"; exit 1; }; done
    test -s /usr/share/doc/emonet/copyright'
step "classify finds the faces and labels them (same lines as the build)" "
    cd /tmp/media
    emonet classify pyfeat_single_face.jpg fr_two_people.jpg > /tmp/classify.txt
    cat /tmp/classify.txt
    grep -Eq '^  face [0-9]+ at x [0-9]+ y [0-9]+ [0-9]+x[0-9]+( angle [-0-9.]+ pose (frontal|left|right))?: (angry|disgust|fear|happy|sad|surprise|neutral) [0-9]+%' /tmp/classify.txt
    diff /tmp/classify.expected /tmp/classify.txt || { echo '(< the package on the host, > in the root)'; exit 1; }"
step "replay of a .y4m (no FFmpeg installed) writes its results" "
    ! command -v ffmpeg
    emonet replay /tmp/media/clip.y4m --out /tmp/out-y4m 2>&1 | tail -n 3
    test \$(wc -l < /tmp/out-y4m/results.jsonl) = $frames
    grep -Eq '\"(angry|disgust|fear|happy|sad|surprise|neutral)\"' /tmp/out-y4m/results.jsonl
    test -s /tmp/out-y4m/summary.json
    test \"\$(head -c 4 /tmp/out-y4m/timeline.png | od -An -c | tr -d ' ')\" = '211PNG'
    ls /tmp/out-y4m"
step "replay of an .mp4 without FFmpeg says what is missing" '
    if emonet replay /tmp/media/pyfeat_single_face.mp4 --out /tmp/out-refused > /tmp/refused.txt 2>&1; then exit 1; fi
    cat /tmp/refused.txt
    grep -qi ffmpeg /tmp/refused.txt'
step "apt purge leaves no file behind" '
    apt-get purge -y -q emonet > /dev/null
    ! test -e /usr/bin/emonet && ! test -e /usr/share/emonet && ! test -e /usr/share/doc/emonet
    ! dpkg-query -W emonet 2> /dev/null'
step "apt installs the package with its Recommends (FFmpeg)" \
    'sh /tmp/emonet/apt-install.sh /tmp/emonet/emonet_*.deb > /tmp/apt-2.log 2>&1 || { tail -n 30 /tmp/apt-2.log; exit 1; }
     grep -E "^(Need to get|After this operation)" /tmp/apt-2.log
     command -v ffmpeg'
step "replay of an .mp4 decodes it in the process and writes its results" "
    emonet replay /tmp/media/pyfeat_single_face.mp4 --out /tmp/out-mp4 > /tmp/mp4.txt 2>&1 || { cat /tmp/mp4.txt; exit 1; }
    tail -n 3 /tmp/mp4.txt
    grep -q 'via libav' /tmp/mp4.txt || { head -n 1 /tmp/mp4.txt; echo 'not decoded by FFmpeg'\''s libraries'; exit 1; }
    test \$(wc -l < /tmp/out-mp4/results.jsonl) = $frames
    grep -Eq '\"(angry|disgust|fear|happy|sad|surprise|neutral)\"' /tmp/out-mp4/results.jsonl
    test -s /tmp/out-mp4/summary.json && test -s /tmp/out-mp4/timeline.png"
step "the ffmpeg program (EMONET_DECODER=program) gives the same results" "
    EMONET_DECODER=program emonet replay /tmp/media/pyfeat_single_face.mp4 --out /tmp/out-program > /tmp/program.txt 2>&1 \\
        || { cat /tmp/program.txt; exit 1; }
    grep -q 'via ffmpeg' /tmp/program.txt
    sed 's/\"latency_ms\":[0-9.]*//' /tmp/out-mp4/results.jsonl > /tmp/libraries.jsonl
    sed 's/\"latency_ms\":[0-9.]*//' /tmp/out-program/results.jsonl > /tmp/program.jsonl
    cmp /tmp/libraries.jsonl /tmp/program.jsonl"
step "replay of two inputs in one run writes a batch" "
    emonet replay /tmp/media/pyfeat_single_face.mp4 /tmp/media/clip.y4m --out /tmp/out-batch 2>&1 | tail -n 3
    test \$(grep -c ',ok,' /tmp/out-batch/batch.csv) = 2
    test \$(wc -l < /tmp/out-batch/clip.y4m/results.jsonl) = $frames"

echo "== package: $(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
echo "== Depends: $(dpkg-deb -f "$deb" Depends)"
printf 'test-package: passed in %.0f s\n' "$(seconds_since "$started")"
