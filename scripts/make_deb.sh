#!/usr/bin/env bash
# The last step of `make deb`: STAGE holds the install tree (`make install PREFIX=/usr DESTDIR=STAGE`);
# this checks the binary, writes STAGE/DEBIAN/{control,md5sums} and builds OUT with dpkg-deb.
#   - the binary says VERSION (`emonet --version`) and needs no Swift shared library (the runtime is linked in:
#     no libswift*, libFoundation*, libdispatch, libBlocksRuntime, lib_Foundation* among its NEEDED entries)
#   - Depends: dpkg-shlibdeps over the binary's NEEDED libraries (Debian's shlibs give the packages and the
#     lowest versions), plus what it opens by name, which no linker records: OpenBLAS (dlopen'ed by
#     Sources/CBLAS/blas.c; libopenblas0 as Debian's own shlibs name it) and the DejaVu font (SDL2_ttf text on
#     the window, screenshots and charts: Sources/Presentation/Fonts.swift)
#   - Recommends: ffmpeg (packaging/control.in): only video files other than .y4m need it. Its libraries
#     (libavformat59, libavcodec59, libavfilter8, dlopen'ed by Sources/CLibAV on the first video) decode them
#     in the process, its program is the fallback and writes annotated videos; ffmpeg Depends on those libraries.
# Usage: scripts/make_deb.sh STAGE VERSION ARCH MAINTAINER OUT.deb
set -euo pipefail
stage=$1 version=$2 arch=$3 maintainer=$4 out=$5
binary=$(realpath -m "$stage/usr/bin/emonet")
here=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "make deb: $*" >&2; exit 1; }

[ -x "$binary" ] || fail "no binary at $binary (make install DESTDIR=$stage PREFIX=/usr)"
[ -n "$version" ] || fail "no version (EmoNet.version in Sources/emonet/EmoNet.swift)"
said=$("$binary" --version) || fail "$binary --version failed"
[ "$said" = "$version" ] || fail "$binary --version says '$said', the package would be $version"

needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
swift_libraries=$(grep -E '^(libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime)' <<< "$needed" || true)
[ -z "$swift_libraries" ] || fail "$binary still needs Swift's shared libraries: $(echo $swift_libraries) (build with --static-swift-stdlib)"
if readelf -d "$binary" | grep -qE '\((RUNPATH|RPATH)\)'; then
    fail "$binary has a run path ($(readelf -d "$binary" | sed -n 's/.*(R.*PATH).*\[\(.*\)\]/\1/p')): a package must not look in the build machine's folders"
fi

# dpkg-shlibdeps reads debian/control from its working directory: give it a minimal one.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: emonet\n\nPackage: emonet\nArchitecture: any\n' > "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O "$binary" 2> "$work/shlibdeps.err") \
    || { cat "$work/shlibdeps.err" >&2; fail "dpkg-shlibdeps failed on $binary"; }
shlib_depends=${shlibs#shlibs:Depends=}
[ -n "$shlib_depends" ] && [ "$shlib_depends" != "$shlibs" ] || fail "dpkg-shlibdeps gave no Depends ($shlibs)"
depends="$shlib_depends, libopenblas0, fonts-dejavu-core"

rm -rf "$stage/DEBIAN"
mkdir -p "$stage/DEBIAN"
installed_size=$(du -sk --apparent-size "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" "$here/packaging/control.in" > "$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

mkdir -p "$(dirname "$out")"
rm -f "$out.tmp"
dpkg-deb --root-owner-group --build "$stage" "$out.tmp" > /dev/null
mv "$out.tmp" "$out"
echo "built $out ($(stat -c %s "$out") bytes, installed $installed_size KiB)"
echo "Depends: $depends"
