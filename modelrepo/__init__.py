"""The model repository: S3/MinIO stores, the sync into each serving node's cache, publishing."""
