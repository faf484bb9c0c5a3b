#!/bin/sh
# Boot the built image under QEMU with port forwarding and prove it serves, as an operator
# would: the original product's curl example, a gRPC predict, then over SSH add a model to
# /etc/appliance/appliance.conf, `appliance apply`, and call the new model.
#
#   image-test.sh IMAGE.qcow2 VENV_PYTHON
#
# Environment: ACCEL (kvm|tcg), EFI_FIRMWARE (empty for BIOS images), HTTP_PORT/GRPC_PORT/
# SSH_PORT (host side, on 127.0.0.1), BOOT_TIMEOUT seconds. Prints the times it measured.
set -eux
image="$1"
python="$2"
accel="${ACCEL:-kvm}"
efi="${EFI_FIRMWARE:-/usr/share/ovmf/OVMF.fd}"
http_port="${HTTP_PORT:-18080}"
grpc_port="${GRPC_PORT:-18081}"
ssh_port="${SSH_PORT:-10022}"
boot_timeout="${BOOT_TIMEOUT:-1800}"
here="$(cd "$(dirname "$0")" && pwd)"

work="$(mktemp -d)"
cleanup() {
  if [ -f "$work/qemu.pid" ]; then kill "$(cat "$work/qemu.pid")" || true; fi
  cp "$work/console.log" build/image-test.console.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway overlay: the image itself stays as built.
qemu-img create -q -f qcow2 -b "$(realpath "$image")" -F qcow2 "$work/disk.qcow2"

# cloud-init NoCloud seed on a vfat volume labelled CIDATA: the operator's (our) SSH key.
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
printf 'instance-id: image-test\nlocal-hostname: appliance-test\n' >"$work/meta-data"
printf '#cloud-config\nssh_authorized_keys:\n  - %s\n' "$(cat "$work/key.pub")" >"$work/user-data"
mkfs.vfat -C -n CIDATA "$work/seed.img" 2048
mcopy -i "$work/seed.img" "$work/meta-data" "$work/user-data" ::/

bios=""
if [ -n "$efi" ]; then bios="-bios $efi"; fi
started="$(date +%s)"
# shellcheck disable=SC2086 # $bios is zero or two words
qemu-system-x86_64 -machine "q35,accel=$accel" -m 4096 -smp 2 $bios \
  -drive "file=$work/disk.qcow2,if=virtio,format=qcow2" \
  -drive "file=$work/seed.img,if=virtio,format=raw" \
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$http_port-:8080,hostfwd=tcp:127.0.0.1:$grpc_port-:8081,hostfwd=tcp:127.0.0.1:$ssh_port-:22" \
  -device virtio-net-pci,netdev=n0 \
  -display none -serial "file:$work/console.log" -daemonize -pidfile "$work/qemu.pid"

# Wait for the first answer (a condition, bounded by BOOT_TIMEOUT).
url="http://127.0.0.1:$http_port/v1/models/saved_model_half_plus_two_mkl"
until curl -fsS --max-time 5 "$url" >/dev/null 2>&1; do
  if [ $(($(date +%s) - started)) -gt "$boot_timeout" ]; then
    echo "no answer from $url after ${boot_timeout}s; console:" >&2
    tail -n 60 "$work/console.log" >&2
    exit 1
  fi
  kill -0 "$(cat "$work/qemu.pid")"
  sleep 2
done
first_answer=$(($(date +%s) - started))

# The original product's example, word for word.
answer="$(curl -fsS -d '{"instances": [1.0, 2.0, 5.0]}' -X POST "$url:predict")"
"$python" "$here/expect_json.py" "$answer" '{"predictions": [2.5, 3.0, 4.5]}'

"$python" "$here/grpc_predict.py" "127.0.0.1:$grpc_port" saved_model_half_plus_two_mkl

# Over SSH, as an operator: add a model (a copy of the built-in one), apply, call it.
ssh_vm() {
  ssh -i "$work/key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=10 root@127.0.0.1 "$@"
}
until ssh_vm true; do
  if [ $(($(date +%s) - started)) -gt "$boot_timeout" ]; then exit 1; fi
  sleep 2
done
ssh_vm 'set -eux
  cp -a /data/models/saved_model_half_plus_two_mkl /data/models/half_plus_two_copy
  sed -i "s/^model.name = .*/model.name = saved_model_half_plus_two_mkl, half_plus_two_copy/" /etc/appliance/appliance.conf
  appliance apply'
new_url="http://127.0.0.1:$http_port/v1/models/half_plus_two_copy:predict"
deadline=$(($(date +%s) + 300))
until answer="$(curl -fsS -d '{"instances": [1.0, 2.0, 5.0]}' -X POST "$new_url")"; do
  if [ "$(date +%s)" -gt "$deadline" ]; then echo "the added model never answered" >&2; exit 1; fi
  sleep 2
done
"$python" "$here/expect_json.py" "$answer" '{"predictions": [2.5, 3.0, 4.5]}'

echo "IMAGE TEST PASSED: boot to first answer ${first_answer}s (accelerator $accel)"
