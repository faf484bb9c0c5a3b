# Debian 12 from the official generic cloud image, checked against Debian's SHA512SUMS; the
# build key reaches the VM through cloud-init (seed written by `make image` into build/seed).
base_image_url       = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"
base_image_checksum  = "file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS"
base_image_kind      = "cloud"
cloud_init_seed_dir  = "build/seed"
efi_firmware         = ""
ssh_private_key_file = "build/ssh/build_key"
