#!/bin/sh
# Make the base disk image for vars/debian-12-local.pkrvars.hcl with nothing but the Debian
# archive: debootstrap into a folder, a kernel, systemd-boot on an EFI system partition, and a
# qcow2 - without loop devices or mounts (mkfs.ext4 -d, mtools), so it also runs in containers.
#
#   make-base-image.sh OUTPUT.qcow2 BUILD_KEY.pub [SIZE_GIB]
#
# BUILD_KEY.pub is authorized for root so Packer can log in; the image's cleanup step removes
# it. Needs root (debootstrap, chroot) and: debootstrap e2fsprogs dosfstools mtools fdisk
# qemu-utils. Environment: SUITE (bookworm), MIRROR (http://deb.debian.org/debian).
set -eux
out="$1"
pubkey="$2"
size_gib="${3:-16}"
suite="${SUITE:-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

debootstrap --variant=minbase \
  --include=linux-image-cloud-amd64,initramfs-tools,systemd,systemd-sysv,systemd-boot-efi,udev,ifupdown,isc-dhcp-client,openssh-server,ca-certificates,iproute2 \
  "$suite" "$rootfs" "$mirror"

echo appliance >"$rootfs/etc/hostname"
cat >"$rootfs/etc/fstab" <<'FSTAB'
LABEL=appliance-root / ext4 errors=remount-ro 0 1
LABEL=ESP /boot/efi vfat umask=0077 0 2
FSTAB
mkdir -p "$rootfs/boot/efi" "$rootfs/etc/network/interfaces.d"
# One NIC, named eth0 (net.ifnames=0 below), configured by DHCP (address, route, DNS).
printf 'auto eth0\niface eth0 inet dhcp\n' >"$rootfs/etc/network/interfaces.d/eth0"
chroot "$rootfs" systemctl enable networking ssh
install -d -m 0700 "$rootfs/root/.ssh"
install -m 0600 "$pubkey" "$rootfs/root/.ssh/authorized_keys"
rm -f "$rootfs"/etc/ssh/ssh_host_*
chroot "$rootfs" ssh-keygen -A  # for the build VM only; cleanup.sh removes them

# EFI system partition: systemd-boot, the kernel and its initramfs.
kernel="$(find "$rootfs/boot" -name 'vmlinuz-*' | sort | tail -n 1)"
initrd="$(find "$rootfs/boot" -name 'initrd.img-*' | sort | tail -n 1)"
esp="$work/esp.img"
mkfs.vfat -C -n ESP "$esp" 262144
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$initrd" ::/initrd.img
printf 'default debian.conf\ntimeout 0\n' >"$work/loader.conf"
printf 'title Debian (appliance)\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=LABEL=appliance-root ro net.ifnames=0 console=tty0 console=ttyS0,115200n8\n' >"$work/debian.conf"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/debian.conf" ::/loader/entries/debian.conf

# GPT disk: 1 MiB gap, 256 MiB ESP, the rest root (33 sectors kept for the backup GPT).
disk="$work/disk.raw"
truncate -s "${size_gib}G" "$disk"
total=$((size_gib * 1024 * 1024 * 2))
root_start=526336
root_sectors=$(((total - root_start - 2048) / 2048 * 2048))
sfdisk "$disk" <<PARTS
label: gpt
start=2048, size=524288, type=uefi, name=ESP
start=$root_start, size=$root_sectors, type=linux, name=root
PARTS
mkfs.ext4 -q -L appliance-root -d "$rootfs" "$work/root.img" "$((root_sectors / 2))k"
dd if="$esp" of="$disk" bs=512 seek=2048 conv=notrunc
dd if="$work/root.img" of="$disk" bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse
mkdir -p "$(dirname "$out")"
qemu-img convert -O qcow2 "$disk" "$out"
qemu-img info "$out"
