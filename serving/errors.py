"""One error base for the whole server, carrying a canonical (gRPC) code.

Every failure a client can see is a `ServingError`; REST maps its code through `HTTP_STATUS`
(TensorFlow Serving's table from model_servers/http_server.cc) and gRPC aborts with the code.
"""

from __future__ import annotations

import grpc

Code = grpc.StatusCode

# TensorFlow Serving's ToHTTPStatusCode().
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}

# tensorflow.error.Code numbers (also used in GetModelStatus's StatusProto.error_code).
TF_CODE_NUMBER: dict[grpc.StatusCode, int] = {c: c.value[0] for c in Code}


class ServingError(Exception):
    """A request failed with a canonical code and a client-facing message."""

    code: grpc.StatusCode = Code.UNKNOWN

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


class InvalidArgument(ServingError):
    code = Code.INVALID_ARGUMENT


class NotFound(ServingError):
    code = Code.NOT_FOUND


class FailedPrecondition(ServingError):
    code = Code.FAILED_PRECONDITION


class Unavailable(ServingError):
    code = Code.UNAVAILABLE


class ResourceExhausted(ServingError):
    code = Code.RESOURCE_EXHAUSTED


class Unimplemented(ServingError):
    code = Code.UNIMPLEMENTED


class Internal(ServingError):
    code = Code.INTERNAL


class RuntimeMissing(FailedPrecondition):
    """A model's format needs a framework that is not installed on this node."""


def code_from_number(number: int) -> grpc.StatusCode:
    """The canonical code for a TensorFlow/absl error-code number (UNKNOWN if out of range)."""
    for code in Code:
        if code.value[0] == number:
            return code
    return Code.UNKNOWN
