"""One error base for the model repository, so callers catch one class and show its message."""

from __future__ import annotations


class ModelRepoError(Exception):
    """Any model-repository failure; the message is meant for an operator, never holds a secret."""


class StoreError(ModelRepoError):
    """The S3 store could not be used: `kind` is unreachable, credentials, bucket or error."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class VersionIncomplete(ModelRepoError):
    """A downloaded version did not match its listing (size, ETag, format): not moved into place."""


class MinioSetupError(ModelRepoError):
    """The MinIO role cannot start: no binary, or empty or example credentials."""


class PublishError(ModelRepoError):
    """A model directory cannot be published: bad format, does not load, version taken."""
