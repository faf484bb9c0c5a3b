# The build: upload the project and the image's files, then one small idempotent script per
# concern (scripts/*.sh, each run as `sh -eux`). tests/packer/ runs the same scripts, in the
# same order, in a debootstrapped Debian root.

locals {
  build_dir = "/tmp/appliance-build"

  # Order matters: each step relies on the ones before it. Keep in sync with
  # scripts/steps.txt, which the chroot test reads.
  steps = [
    "ca-certs.sh",
    "packages.sh",
    "python.sh",
    "envoy.sh",
    "minio.sh",
    "models.sh",
    "config.sh",
    "boot-service.sh",
    "cleanup.sh",
  ]

  step_env = [
    "BUILD_DIR=${local.build_dir}",
    "APPLIANCE_EXTRAS=${var.appliance_extras}",
    "PIP_INDEX_URL=${var.pip_index_url}",
    "MINIO_RELEASE=${var.minio_release}",
    "MINIO_SHA256=${var.minio_sha256}",
    "MINIO_REQUIRED=${var.minio_required}",
    "DEBIAN_FRONTEND=noninteractive",
  ]
}

build {
  sources = ["source.qemu.appliance"]

  provisioner "shell" {
    inline = ["rm -rf ${local.build_dir}", "mkdir -p ${local.build_dir}"]
  }

  # The project itself: `git ls-files` of the working tree, made by `make image`.
  provisioner "file" {
    source      = var.source_archive
    destination = "${local.build_dir}/appliance-src.tar.gz"
  }

  provisioner "file" {
    source      = "${path.root}/../files/"
    destination = local.build_dir
  }

  # Always uploaded so the step list stays static; an empty file means no extra CA.
  provisioner "file" {
    source      = var.extra_ca_certs == "" ? "${path.root}/../files/no-extra-ca.pem" : var.extra_ca_certs
    destination = "${local.build_dir}/extra-ca.pem"
  }

  provisioner "shell" {
    environment_vars = local.step_env
    execute_command  = "chmod +x '{{ .Path }}'; {{ .Vars }} sh -eux '{{ .Path }}'"
    scripts          = [for s in local.steps : "${path.root}/../scripts/${s}"]
  }
}
