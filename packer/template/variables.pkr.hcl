# Every input of the image build: typed, described, validated where a bad value would only
# fail late (after minutes of provisioning). One vars file per target lives in ../vars/.

# --- base image --------------------------------------------------------------------------

variable "base_image_url" {
  type        = string
  description = "The Debian 12 disk image the build starts from: a local qcow2 made by base/make-base-image.sh (file path) or a Debian cloud image URL."
}

variable "base_image_checksum" {
  type        = string
  description = "Checksum of base_image_url as Packer takes it: sha256:<hex>, file:<url of a SHA512SUMS/SHA256SUMS list>, or none for a locally made base image."
  validation {
    condition     = var.base_image_checksum == "none" || contains(["sha256:", "sha512:"], substr(var.base_image_checksum, 0, 7)) || substr(var.base_image_checksum, 0, 5) == "file:"
    error_message = "The base_image_checksum must be none, sha256:<hex>, sha512:<hex> or file:<url>."
  }
}

variable "base_image_kind" {
  type        = string
  default     = "local"
  description = "local: made by base/make-base-image.sh (UEFI, build key already authorized); cloud: a Debian cloud image configured by cloud-init from cloud_init_seed_dir."
  validation {
    condition     = contains(["local", "cloud"], var.base_image_kind)
    error_message = "The base_image_kind must be local or cloud."
  }
}

variable "cloud_init_seed_dir" {
  type        = string
  default     = ""
  description = "For base_image_kind = cloud: a folder with NoCloud user-data and meta-data (written by the Makefile with the build key), served to the VM over Packer's HTTP server."
}

variable "efi_firmware" {
  type        = string
  default     = "/usr/share/OVMF/OVMF_CODE.fd"
  description = "UEFI firmware for the build VM (Debian package ovmf); empty boots with the default BIOS, enough for cloud images."
}

# --- build VM ----------------------------------------------------------------------------

variable "accelerator" {
  type        = string
  default     = "kvm"
  description = "QEMU accelerator: kvm where /dev/kvm is usable, tcg (software emulation, many times slower) otherwise."
  validation {
    condition     = contains(["kvm", "tcg", "hvf", "whpx"], var.accelerator)
    error_message = "The accelerator must be kvm, tcg, hvf or whpx."
  }
}

variable "cpus" {
  type        = number
  default     = 2
  description = "Virtual CPUs of the build VM."
  validation {
    condition     = var.cpus >= 1 && var.cpus <= 64
    error_message = "The cpus must be from 1 to 64."
  }
}

variable "memory" {
  type        = number
  default     = 4096
  description = "Memory of the build VM in MiB; installing TensorFlow needs at least 2048."
  validation {
    condition     = var.memory >= 2048
    error_message = "The memory must be at least 2048 MiB."
  }
}

variable "disk_size" {
  type        = string
  default     = "16G"
  description = "Size of the image's disk (qemu-img syntax, e.g. 16G); the Python runtimes take about 6G."
  validation {
    condition     = contains(["M", "G", "T"], substr(var.disk_size, -1, 1)) && length(var.disk_size) >= 2
    error_message = "The disk_size must be a number followed by M, G or T, e.g. 16G."
  }
}

variable "headless" {
  type        = bool
  default     = true
  description = "Run QEMU without a window (the serial console is still logged)."
}

variable "output_directory" {
  type        = string
  default     = "build/image"
  description = "Where the finished image is written (must not exist yet)."
}

variable "vm_name" {
  type        = string
  default     = "inference-engine-appliance.qcow2"
  description = "File name of the finished image inside output_directory."
}

variable "ssh_username" {
  type        = string
  default     = "root"
  description = "The account Packer provisions through; its build key is removed by the cleanup step."
}

variable "ssh_private_key_file" {
  type        = string
  description = "Private half of the per-build SSH key (made by the Makefile; never a password, never kept in the image)."
}

variable "ssh_timeout" {
  type        = string
  default     = "20m"
  description = "How long to wait for the VM's SSH server (tcg boots slowly)."
}

# --- what goes into the image -----------------------------------------------------------

variable "source_archive" {
  type        = string
  default     = "build/appliance-src.tar.gz"
  description = "The project's files (git ls-files of the working tree) as a .tar.gz, made by `make image`; installed to /opt/appliance/src."
  validation {
    condition     = substr(var.source_archive, -7, 7) == ".tar.gz"
    error_message = "The source_archive must be a .tar.gz file."
  }
}

variable "extra_ca_certs" {
  type        = string
  default     = ""
  description = "Optional PEM file of CA certificates that the build's HTTPS egress needs (a TLS-inspecting proxy); trusted during the build only and removed by the cleanup step."
}

variable "pip_index_url" {
  type        = string
  default     = ""
  description = "Optional Python package index mirror for the build; empty uses pip's default."
}

variable "appliance_extras" {
  type        = string
  default     = "runtimes"
  description = "Optional extras of the project to install (comma separated), e.g. runtimes for OpenVINO, ONNX Runtime and PMML."
  validation {
    condition     = lower(var.appliance_extras) == var.appliance_extras && length(split(" ", var.appliance_extras)) == 1
    error_message = "The appliance_extras must be lowercase extra names separated by commas, no spaces."
  }
}

variable "minio_release" {
  type        = string
  default     = "RELEASE.2024-12-18T13-15-44Z"
  description = "Pinned MinIO server release installed for the repo role."
  validation {
    condition     = substr(var.minio_release, 0, 8) == "RELEASE." && length(var.minio_release) == 28 && substr(var.minio_release, -1, 1) == "Z"
    error_message = "The minio_release must look like RELEASE.2024-12-18T13-15-44Z."
  }
}

variable "minio_sha256" {
  type        = string
  default     = "88182336ab5793488f2caad54846056b330f0dcb5c488b60d52434beeebae3ca"
  description = "SHA-256 of the linux-amd64 binary of minio_release; the build also checks it against the release's published .sha256sum."
  validation {
    condition     = length(var.minio_sha256) == 64 && lower(var.minio_sha256) == var.minio_sha256
    error_message = "The minio_sha256 must be 64 lowercase hex digits (the build checks the digits themselves)."
  }
}

variable "minio_required" {
  type        = bool
  default     = false
  description = "Fail the build when the MinIO download is unreachable (true for release images); false skips MinIO with a clear message."
}
