# Sourced by scripts: the Python tools of scripts/requirements.txt (pinned) in one virtualenv.
#   ensure_venv   sets VENV (absolute; default target/contract-venv) and installs the pinned
#                 packages there unless that very list is already installed.

ensure_venv() {
    mkdir -p "${VENV:-target/contract-venv}"
    VENV=$(cd "${VENV:-target/contract-venv}" && pwd)
    local wanted=scripts/requirements.txt stamp="$VENV/.installed-requirements.txt"
    if [[ -x "$VENV/bin/pip" ]] && cmp -s "$wanted" "$stamp"; then
        return 0
    fi
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$wanted"
    cp "$wanted" "$stamp"
}
