#!/bin/sh
# Make sure the Debian packages a target needs are installed.
#   scripts/system-deps.sh demo   -> python3-venv (the virtual environment), npm (vendor build),
#                                    espeak-ng (the emulator's voice)
#   scripts/system-deps.sh test   -> the above, plus chromium (browser tests) and coturn (relay test)
# As root it installs what is missing with apt-get; otherwise it says what to install.
set -eu
need_cmds="npm espeak-ng"
need_pkgs="npm espeak-ng"
if [ "${1:-demo}" = test ]; then
    need_cmds="$need_cmds chromium turnserver ip"
    need_pkgs="$need_pkgs chromium coturn iproute2"
fi
missing=""
# Debian's python3 makes venvs only with python3-venv (ensurepip); other Pythons bring it.
python3 -c 'import ensurepip' 2>/dev/null || missing=" python3-venv"
set -- $need_pkgs
for cmd in $need_cmds; do
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing $1"
    shift
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages:$missing" >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install$missing), then run this again." >&2
    exit 1
fi
echo "[setup] apt-get install$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
