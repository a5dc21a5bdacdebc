#!/usr/bin/env bash
# Installs upscaled without a package manager, for distributions other than Debian/Ubuntu
# (the equivalent of `make install`). Needs Swift 6.1+, libvips and libsystemd (with their
# development files, and pkg-config) to build.
#
#   packaging/install.sh                          build (release) and install under /usr/local
#   PREFIX=/usr packaging/install.sh              install under /usr
#   DESTDIR=/tmp/stage PREFIX=/usr packaging/install.sh    stage for a package (rpm, pacman...)
#   packaging/install.sh --binary FILE            install FILE instead of building
#   packaging/install.sh --uninstall              remove what an install put there
#
# Variables (defaults in brackets):
#   PREFIX [/usr/local]   DESTDIR []   BINDIR [$PREFIX/bin]   MANDIR [$PREFIX/share/man]
#   DOCDIR [$PREFIX/share/doc/upscaled]
#   SYSTEMD_USER_UNIT_DIR [$PREFIX/lib/systemd/user]
#   SYSTEMD_SYSTEM_UNIT_DIR [$PREFIX/lib/systemd/system]
#   BASH_COMPLETION_DIR [$PREFIX/share/bash-completion/completions]
#   ZSH_COMPLETION_DIR [$PREFIX/share/zsh/site-functions]
#   FISH_COMPLETION_DIR [$PREFIX/share/fish/vendor_completions.d]
#   STATIC_SWIFT_STDLIB [1]: link the Swift runtime into the binary, so it runs where no Swift
#                            toolchain is installed (0: link it dynamically).
#
# systemd reads units from /usr/local/lib/systemd/{user,system} as well as /usr/lib/...; the
# installed units start $BINDIR/upscaled. Afterwards: `systemctl daemon-reload` (system) or
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
        -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 64 ;;
    esac
done

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-$PREFIX/bin}
MANDIR=${MANDIR:-$PREFIX/share/man}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/upscaled}
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
    "$BASH_COMPLETION_DIR/upscaled"
    "$ZSH_COMPLETION_DIR/_upscaled"
    "$FISH_COMPLETION_DIR/upscaled.fish"
)

if ((uninstall)); then
    for f in "${files[@]}"; do
        if [[ -e "$DESTDIR$f" ]]; then rm -f "$DESTDIR$f" && echo "removed $DESTDIR$f"; fi
    done
    rmdir "$DESTDIR$DOCDIR" 2>/dev/null || true
    exit 0
fi

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
# The units name /usr/bin/upscaled: point them at $BINDIR.
install -d "$DESTDIR$SYSTEMD_USER_UNIT_DIR" "$DESTDIR$SYSTEMD_SYSTEM_UNIT_DIR"
sed "s|/usr/bin/upscaled|$BINDIR/upscaled|g" "$repo/systemd/upscaled.service" > "$DESTDIR$SYSTEMD_USER_UNIT_DIR/upscaled.service"
sed "s|/usr/bin/upscaled|$BINDIR/upscaled|g" "$repo/systemd/upscaled@.service" > "$DESTDIR$SYSTEMD_SYSTEM_UNIT_DIR/upscaled@.service"
chmod 0644 "$DESTDIR$SYSTEMD_USER_UNIT_DIR/upscaled.service" "$DESTDIR$SYSTEMD_SYSTEM_UNIT_DIR/upscaled@.service"
install -D -m 0644 "$here/man/upscaled.1" "$DESTDIR$MANDIR/man1/upscaled.1"
install -D -m 0644 "$here/man/upscaled.toml.5" "$DESTDIR$MANDIR/man5/upscaled.toml.5"
install -D -m 0644 "$here/config.toml.example" "$DESTDIR$DOCDIR/config.toml.example"
install -D -m 0644 "$repo/README.md" "$DESTDIR$DOCDIR/README.md"
install -d "$DESTDIR$BASH_COMPLETION_DIR" "$DESTDIR$ZSH_COMPLETION_DIR" "$DESTDIR$FISH_COMPLETION_DIR"
"$binary" --generate-completion-script bash > "$DESTDIR$BASH_COMPLETION_DIR/upscaled"
"$binary" --generate-completion-script zsh > "$DESTDIR$ZSH_COMPLETION_DIR/_upscaled"
"$binary" --generate-completion-script fish > "$DESTDIR$FISH_COMPLETION_DIR/upscaled.fish"
chmod 0644 "$DESTDIR$BASH_COMPLETION_DIR/upscaled" "$DESTDIR$ZSH_COMPLETION_DIR/_upscaled" "$DESTDIR$FISH_COMPLETION_DIR/upscaled.fish"

for f in "${files[@]}"; do echo "installed $DESTDIR$f"; done
if [[ -z "$DESTDIR" ]]; then
    echo "install.sh: now run 'systemctl daemon-reload' (system units) or 'systemctl --user daemon-reload' (user units)." >&2
fi
