# Shared set-up for scripts/demo and scripts/test: installs the Debian packages
# Awal builds and tests with, when they are missing. Sourced, not run.

# Packages: cmake + clang/libclang (whisper.cpp and its bindings), pkg-config and
# libasound2-dev (ALSA audio), espeak-ng (spoken replies, test speech), alsa-utils
# (the human "Front_Center.wav" recording), sox, libsox-fmt-mp3 and opus-tools
# (audio conversions in tests), python3-pip (fetching
# model wheels from PyPI), pulseaudio, pulseaudio-utils (pactl, parec) and
# libasound2-plugins (ALSA's default device on PulseAudio): the private sound
# server the kiosk's live-audio tests run on; fonts-noto-core (the printed
# sheets' Latin, Arabic and Tifinagh faces) and poppler-utils (the sheets'
# tests read them back with pdftotext and render them with pdftoppm); minisign
# (a publisher's keys, and the check that Awal's signed packs read as minisign's);
# chromium and chromium-driver (the studio's pages driven in a real browser
# through WebDriver, its fake microphone fed from a WAV file).
AWAL_DEBIAN_PACKAGES=(cmake clang libclang-dev pkg-config libasound2-dev espeak-ng alsa-utils sox libsox-fmt-mp3 opus-tools python3-pip fonts-noto-core poppler-utils pulseaudio pulseaudio-utils libasound2-plugins minisign chromium chromium-driver)

ensure_debian_packages() {
    local missing=()
    for package in "${AWAL_DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    echo "installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Python packages the tests drive Awal with, in a virtual environment of their
# own: the Wyoming protocol's reference client and python-zeroconf, the
# multicast DNS browser Home Assistant uses (tests/wyoming.rs). The modules are
# what is imported to see they are there.
AWAL_PYTHON_VENV="${AWAL_PYTHON_VENV:-$HOME/.cache/awal/python}"
AWAL_PYTHON_PACKAGES=(wyoming==1.10.2 zeroconf==0.154.0)
AWAL_PYTHON_MODULES="wyoming, zeroconf"

ensure_python_packages() {
    if "$AWAL_PYTHON_VENV/bin/python3" -c "import $AWAL_PYTHON_MODULES" 2>/dev/null; then
        return
    fi
    echo "Installing Python packages for the tests in $AWAL_PYTHON_VENV: ${AWAL_PYTHON_PACKAGES[*]}" >&2
    python3 -m venv "$AWAL_PYTHON_VENV"
    "$AWAL_PYTHON_VENV/bin/pip" install --quiet "${AWAL_PYTHON_PACKAGES[@]}"
}
