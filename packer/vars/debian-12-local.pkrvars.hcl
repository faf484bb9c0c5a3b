# Debian 12 from a base image made offline by base/make-base-image.sh (debootstrap; needs only
# the Debian archive). The default target of `make image`.
base_image_url       = "build/base/debian-12-base.qcow2"
base_image_checksum  = "none"
base_image_kind      = "local"
efi_firmware         = "/usr/share/ovmf/OVMF.fd"
ssh_private_key_file = "build/ssh/build_key"
