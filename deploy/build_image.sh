#!/usr/bin/env bash
# An OCI image of `codeloop serve`, built without a container daemon from Debian packages and this
# project's wheel: the wheel and its `serve` extra's wheels are gathered here (this machine's pip,
# PyPI), mmdebstrap makes the root file system (Debian's python3 and a virtualenv installed from
# those wheels, offline), umoci puts it in an OCI layout. Needs root, Debian's mirror and PyPI.
# Extra Debian packages for more of the sandbox's languages: LANGUAGES="g++ nodejs ...".
#
#   bash deploy/build_image.sh [OUT]          # default OUT: build/image
#   -> OUT/rootfs (the root file system), OUT/oci (the OCI layout, tag "latest")
#   skopeo copy oci:OUT/oci:latest docker://REGISTRY/codeloop:TAG     # to push it
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/image}
packages="python3,python3-venv,ca-certificates"
for package in ${LANGUAGES:-}; do packages+=",$package"; done

rm -rf "$out"
mkdir -p "$out/wheel"
python3 -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$out/wheel" .
wheel=$(basename "$(ls "$out"/wheel/codeloop-*.whl)")
python3 -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$out/wheel" "$out/wheel/$wheel[serve]"
# the service runs as uid 10001; with a token it listens on every address (without one it refuses to)
mmdebstrap --quiet --variant=minbase --mode=root --include="$packages" \
    --customize-hook="copy-in $out/wheel /tmp" \
    --customize-hook='chroot "$1" python3 -m venv /opt/codeloop' \
    --customize-hook="chroot \"\$1\" env -i PATH=/usr/bin:/bin /opt/codeloop/bin/pip install --quiet --no-cache-dir --no-index \
        --disable-pip-version-check --find-links /tmp/wheel '/tmp/wheel/$wheel[serve]'" \
    --customize-hook='rm -rf "$1"/tmp/wheel' \
    --customize-hook='chroot "$1" useradd --uid 10001 --user-group --home-dir /home/codeloop --create-home codeloop' \
    bookworm "$out/rootfs"
umoci init --layout "$out/oci"
umoci new --image "$out/oci:latest"
umoci insert --image "$out/oci:latest" "$out/rootfs" /
umoci config --image "$out/oci:latest" --config.user 10001:10001 --config.workingdir /home/codeloop \
    --config.env PATH=/opt/codeloop/bin:/usr/local/bin:/usr/bin:/bin \
    --config.entrypoint /opt/codeloop/bin/codeloop \
    --config.cmd serve --config.cmd --host --config.cmd 0.0.0.0 --config.cmd --port --config.cmd 8080 \
    --config.exposedports 8080/tcp
rm -rf "$out/wheel"
echo "built $out/oci:latest ($(du -sh "$out/rootfs" | cut -f1) unpacked)"
