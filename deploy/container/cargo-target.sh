#!/bin/sh
# Runs cargo for one target platform, natively or cross-compiling from the
# build host. The Dockerfile's build stage and CI both call it, so the image
# and the CI build use the same target, profile and flags.
#
#   cargo-target.sh triple              print the Rust target triple
#   cargo-target.sh setup               add the Rust target, and a cross C
#                                       toolchain if target != host (Debian)
#   cargo-target.sh cargo ARGS...       run `cargo ARGS... --target TRIPLE`
#
# The target platform is $TARGETARCH (amd64 or arm64, as BuildKit sets it);
# without it, the host's own architecture.
set -eu

host_arch() {
    case "$(uname -m)" in
        x86_64 | amd64) echo amd64 ;;
        aarch64 | arm64) echo arm64 ;;
        *) uname -m ;;
    esac
}

host=$(host_arch)
arch=${TARGETARCH:-$host}
case "$arch" in
    amd64) triple=x86_64-unknown-linux-gnu gnu=x86_64-linux-gnu deb=x86-64-linux-gnu ;;
    arm64) triple=aarch64-unknown-linux-gnu gnu=aarch64-linux-gnu deb=aarch64-linux-gnu ;;
    *)
        echo "cargo-target.sh: unsupported target architecture '$arch' (amd64 or arm64)" >&2
        exit 2
        ;;
esac

case "${1:-}" in
    triple)
        echo "$triple"
        ;;
    setup)
        rustup target add "$triple"
        if [ "$arch" != "$host" ]; then
            apt-get update
            apt-get install -y --no-install-recommends "gcc-$deb" "libc6-dev-$arch-cross"
        fi
        ;;
    cargo)
        shift
        if [ "$arch" = "$host" ]; then
            exec cargo "$@" --target "$triple"
        fi
        # Cross: the linker for rustc, and CC/AR for the C code of zstd-sys.
        upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
        lower=$(echo "$triple" | tr '-' '_')
        exec env \
            "CARGO_TARGET_${upper}_LINKER=$gnu-gcc" \
            "CC_${lower}=$gnu-gcc" \
            "AR_${lower}=$gnu-ar" \
            cargo "$@" --target "$triple"
        ;;
    *)
        echo "usage: cargo-target.sh triple | setup | cargo ARGS..." >&2
        exit 2
        ;;
esac
