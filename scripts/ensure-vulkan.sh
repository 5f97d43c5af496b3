#!/usr/bin/env bash
# Makes sure a Vulkan driver is present. On a machine with no GPU driver this
# installs Mesa's software driver, lavapipe (Debian/Ubuntu: mesa-vulkan-drivers).
# Used by `make train` and `make test`; safe to run repeatedly.
set -euo pipefail

have_icd() {
    local d
    for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
        compgen -G "$d/*.json" >/dev/null 2>&1 && return 0
    done
    [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]
}

have_loader() {
    ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'
}

if have_icd && have_loader; then
    exit 0
fi

echo "ensure-vulkan: no Vulkan driver found; installing Mesa's software driver (lavapipe)" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-vulkan: this is not a Debian/Ubuntu system. Install your GPU's Vulkan driver," >&2
    echo "  or Mesa's lavapipe (Fedora: mesa-vulkan-drivers, Arch: vulkan-swrast), then retry." >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "ensure-vulkan: run as root or install sudo: apt-get install -y mesa-vulkan-drivers libvulkan1" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists can be empty: update first.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >/dev/null
have_icd && have_loader || { echo "ensure-vulkan: install finished but no Vulkan driver is visible" >&2; exit 1; }
echo "ensure-vulkan: lavapipe installed" >&2
