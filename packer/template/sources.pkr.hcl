# One local source: QEMU booting the base Debian 12 disk image. The built-in qemu builder of
# Packer 1.6.6 and the hashicorp/qemu plugin of current Packer read the same block.

locals {
  # The serial console is logged next to the image, so a build that stalls at boot says why.
  console_log = "${var.output_directory}.console.log"

  qemuargs = concat(
    [["-serial", "file:${local.console_log}"]],
    # UEFI for the locally made base image (it has an EFI system partition only).
    [for f in [var.efi_firmware] : ["-bios", f] if f != "" && var.base_image_kind == "local"],
    # cloud-init's NoCloud data source reads its seed from Packer's HTTP server.
    [for d in [var.cloud_init_seed_dir] : ["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"] if d != ""],
  )
}

source "qemu" "appliance" {
  iso_url          = var.base_image_url
  iso_checksum     = var.base_image_checksum
  disk_image       = true
  disk_size        = var.disk_size
  disk_interface   = "virtio"
  disk_compression = true
  disk_discard     = "unmap"
  format           = "qcow2"
  net_device       = "virtio-net"
  accelerator      = var.accelerator
  cpus             = var.cpus
  memory           = var.memory
  headless         = var.headless
  output_directory = var.output_directory
  vm_name          = var.vm_name
  http_directory   = var.cloud_init_seed_dir
  qemuargs         = local.qemuargs

  communicator         = "ssh"
  ssh_username         = var.ssh_username
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = var.ssh_timeout
  shutdown_command     = "systemctl poweroff"
  shutdown_timeout     = "5m"
}
