# Plugin requirements for Packer 1.7 and newer, kept out of ../template/ on purpose: Packer
# 1.6.6 (Debian's) has the qemu builder built in and rejects a required_plugins block, while
# Packer 1.10+ no longer bundles it. With a newer Packer run once:
#
#   packer init packer/plugins
#
# and the installed plugin serves `packer build packer/template` (see ../README.md).
packer {
  required_version = ">= 1.7.0"
  required_plugins {
    qemu = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/qemu"
    }
  }
}
