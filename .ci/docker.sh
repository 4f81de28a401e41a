#!/usr/bin/env bash
# Start a local Docker engine and build the offline test image used by the
# Docker task runner tests (tests/test_runners.py, marker `docker`).
#
#   bash .ci/docker.sh            # idempotent: a second run takes a second or two
#
# - installs docker.io (Debian package) when `dockerd` is missing;
# - starts `dockerd` in the background when `docker info` fails (log: /tmp/dockerd.log);
# - builds `flowc-test-python:latest` without any image registry: a Debian
#   bookworm rootfs made by debootstrap from the Debian mirror apt is configured
#   with on this machine (python3, pip, ca-certificates), then `docker import`;
#   python:slim and python:3.13-slim are tagged to it unless they already exist;
# - caches the rootfs tarball under $FLOWC_DOCKER_CACHE (default /var/cache/flowc).
#
# It never fails the caller: when the engine cannot run here it prints one line
# saying why and exits 0, so the Docker tests skip with a stated reason.
#
# Environment:
#   FLOWC_TEST_IMAGE       image to build (default flowc-test-python:latest)
#   FLOWC_DOCKER_CACHE     cache folder (default /var/cache/flowc)
#   FLOWC_IMAGE_PIP        Python packages baked into the image (default "polars kestra";
#                          empty to skip); installed with the host's pip for CPython 3.11
#   FLOWC_DOCKER_REBUILD=1 rebuild the image (and the cached rootfs) from scratch
set -u

IMAGE=${FLOWC_TEST_IMAGE:-flowc-test-python:latest}
CACHE_DIR=${FLOWC_DOCKER_CACHE:-/var/cache/flowc}
SUITE=bookworm
PIP_PACKAGES=${FLOWC_IMAGE_PIP-polars kestra}
ROOTFS_TAR="$CACHE_DIR/rootfs-$SUITE-python3.tar"
DOCKERD_LOG=/tmp/dockerd.log
HERE=$(cd "$(dirname "$0")/.." && pwd)

say() { echo "docker.sh: $*"; }
# One line saying why, then exit 0 so the tests skip instead of failing.
give_up() { echo "docker.sh: Docker unavailable: $*"; exit 0; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

# ---------------------------------------------------------------- 1. engine binaries
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    say "installing docker.io (apt)"
    if ! { as_root apt-get update -qq >/tmp/docker-apt.log 2>&1 &&
           DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq docker.io >>/tmp/docker-apt.log 2>&1; }; then
        give_up "apt-get install docker.io failed (see /tmp/docker-apt.log: $(tail -n 1 /tmp/docker-apt.log))"
    fi
fi

# ---------------------------------------------------------------- 2. engine
start_dockerd() {
    # In its own session (setsid --fork returns at once, no shell waits on it), its
    # fds on the log: the daemon must not hold the caller's stdout open.
    as_root setsid --fork dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null
    for _ in $(seq 1 30); do
        engine_up && return 0
        sleep 1
    done
    return 1
}

stop_failed_dockerd() {
    # Only the daemon this script started: its pid is in the pid file it wrote.
    if [ -s /var/run/docker.pid ]; then
        as_root kill "$(cat /var/run/docker.pid)" 2>/dev/null
        sleep 2
    fi
}

if ! engine_up; then
    if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
        give_up "DOCKER_HOST=$DOCKER_HOST does not answer and is not a local socket this script can start"
    fi
    say "starting dockerd (log: $DOCKERD_LOG)"
    if ! start_dockerd; then
        # Second try for restricted hosts: no iptables/bridge (host and none networks
        # still work) and the vfs storage driver (no overlayfs needed).
        say "dockerd did not answer in 30 s; retrying with --iptables=false --bridge=none --storage-driver=vfs"
        stop_failed_dockerd
        if ! start_dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs; then
            why=$(grep -iE 'level=(fatal|error)|failed to start' "$DOCKERD_LOG" | tail -n 1 | sed -E 's/.*msg="?//; s/"$//')
            give_up "dockerd did not start within 30 s: ${why:-see $DOCKERD_LOG}"
        fi
    fi
fi
say "engine: $(docker version --format 'server {{.Server.Version}}' 2>/dev/null)"

# ---------------------------------------------------------------- 3. test image
IMAGE_COMMENT='flowc offline test image (debootstrap bookworm + python3)'

# Tag only when the tag is absent, or when it points at an older build of this
# script's image (after FLOWC_DOCKER_REBUILD=1): a real python image is never touched.
tag_if_absent() {
    local tag=$1 comment
    if comment=$(docker image inspect --format '{{.Comment}}' "$tag" 2>/dev/null); then
        if [ "$comment" = "$IMAGE_COMMENT" ] &&
           [ "$(docker image inspect --format '{{.Id}}' "$tag")" != "$(docker image inspect --format '{{.Id}}' "$IMAGE")" ]; then
            docker tag "$IMAGE" "$tag" && say "re-tagged $tag -> $IMAGE (was an older build)"
        else
            say "$tag already exists: left as it is"
        fi
    else
        docker tag "$IMAGE" "$tag" && say "tagged $tag -> $IMAGE"
    fi
}

# The Debian mirror apt uses here, read from the machine's apt sources at run time.
debian_mirror() {
    local f
    # deb822 .sources files: a stanza with "Suites: ... bookworm ..." and its "URIs:".
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v suite="$SUITE" '
            BEGIN { RS=""; FS="\n" }
            {
                uris=""; ok=0; deb=0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris=u[1] }
                    if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb=1
                    if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok=1 }
                    if ($i ~ /^Enabled:[ \t]*no/) ok=0
                }
                if (ok && deb && uris != "") { print uris; exit }
            }' "$f"
    done
    # one-line format: "deb [opts] URL bookworm main"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v suite="$SUITE" '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit }
        }' "$f"
    done
}

build_rootfs() {
    local mirror dir
    mirror=$(debian_mirror | head -n 1)
    [ -n "$mirror" ] || { say "no apt source for $SUITE found in /etc/apt"; return 1; }
    if ! command -v debootstrap >/dev/null 2>&1; then
        say "installing debootstrap (apt)"
        { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq debootstrap; } \
            >>/tmp/docker-apt.log 2>&1 || { say "apt-get install debootstrap failed"; return 1; }
    fi
    dir=$(mktemp -d /tmp/flowc-rootfs.XXXXXX)
    say "debootstrap $SUITE (minbase + python3, pip) from the apt mirror into $dir (log: /tmp/debootstrap.log)"
    if ! as_root debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
            "$SUITE" "$dir" "$mirror" >/tmp/debootstrap.log 2>&1; then
        say "debootstrap failed: $(tail -n 1 /tmp/debootstrap.log)"
        as_root rm -rf "$dir"
        return 1
    fi
    # Look like the official python images: `python` and `pip` on PATH, pip may
    # install into the system interpreter (no PEP 668 marker), no apt caches.
    ln -sf python3 "$dir/usr/bin/python"
    [ -e "$dir/usr/bin/pip" ] || ln -sf pip3 "$dir/usr/bin/pip"
    rm -f "$dir"/usr/lib/python3*/EXTERNALLY-MANAGED
    # Trust the same extra CAs as this host (an egress proxy may re-sign TLS for the
    # package registries): without them pip inside a container fails certificate checks.
    if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
        mkdir -p "$dir/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
        as_root chroot "$dir" update-ca-certificates >/dev/null 2>&1 ||
            say "update-ca-certificates in the rootfs failed: containers may not reach https registries"
    fi
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log
    printf 'nameserver 127.0.0.1\n' >"$dir/etc/resolv.conf"   # replaced by the engine at run time
    if [ -n "$PIP_PACKAGES" ]; then
        bake_pip_packages "$dir" || say "could not bake '$PIP_PACKAGES' into the image: continuing without them"
    fi
    mkdir -p "$CACHE_DIR"
    as_root tar -C "$dir" --numeric-owner -cf "$ROOTFS_TAR.part" . && mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
    as_root rm -rf "$dir"
    say "rootfs cached at $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1))"
}

# Pre-install Python packages the seed flows use (their beforeCommands then find
# them already satisfied and need no network). The image's python3 is CPython
# 3.11 on Debian bookworm, so a pip for CPython 3.11 on this host installs
# matching wheels straight into the image's dist-packages.
bake_pip_packages() {
    local dir=$1 py="" cand target
    for cand in "$HERE/.venv/bin/python" python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1 &&
           "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null &&
           "$cand" -m pip --version >/dev/null 2>&1; then
            py=$cand; break
        fi
    done
    [ -n "$py" ] || { say "no pip for CPython 3.11 on this host"; return 1; }
    target="$dir/usr/local/lib/python3.11/dist-packages"
    mkdir -p "$target"
    say "baking into the image: $PIP_PACKAGES (pip of $py)"
    # shellcheck disable=SC2086
    "$py" -m pip install --quiet --disable-pip-version-check --no-compile \
        --only-binary=:all: --target "$target" $PIP_PACKAGES >/tmp/flowc-image-pip.log 2>&1 || {
        say "pip failed: $(tail -n 1 /tmp/flowc-image-pip.log)"; rm -rf "$target"; return 1; }
    # console scripts land in target/bin; move them onto PATH
    if [ -d "$target/bin" ]; then
        mkdir -p "$dir/usr/local/bin"
        mv "$target"/bin/* "$dir/usr/local/bin/" 2>/dev/null
        rmdir "$target/bin" 2>/dev/null
        sed -i '1s|^#!.*python.*$|#!/usr/bin/python3|' "$dir"/usr/local/bin/* 2>/dev/null
    fi
}

import_image() {
    say "importing $ROOTFS_TAR as $IMAGE"
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' \
        --message "$IMAGE_COMMENT" \
        "$ROOTFS_TAR" "$IMAGE" >/dev/null
}

if [ "${FLOWC_DOCKER_REBUILD:-0}" = 1 ]; then
    rm -f "$ROOTFS_TAR"
    docker image rm "$IMAGE" >/dev/null 2>&1
fi

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "$IMAGE present"
else
    start=$(date +%s)
    if [ ! -s "$ROOTFS_TAR" ]; then
        build_rootfs || give_up "could not build the test image $IMAGE (see messages above)"
    fi
    import_image || give_up "docker import of $ROOTFS_TAR failed"
    say "$IMAGE built in $(( $(date +%s) - start )) s"
fi

if ! out=$(docker run --rm --network none "$IMAGE" python -c 'import sys; print(sys.version.split()[0])' 2>&1); then
    give_up "the engine runs but cannot start a container: $(echo "$out" | tail -n 1)"
fi
say "container check: python $out"
tag_if_absent python:slim
tag_if_absent python:3.13-slim
exit 0
