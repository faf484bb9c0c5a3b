"""Server-side batching: concurrent requests to one signature become one runtime call.

Lives on the event loop. Requests with the same output keys and the same per-row shapes and
dtypes queue together; up to `threads` workers each take what is queued (greedy, or after
`timeout_micros`), concatenate along the first dimension, run once in the executor and split
the answers back by row counts. At concurrency 1 a request runs at once, alone.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import numpy as np

from serving.config import BatchingConfig
from serving.errors import Internal, ResourceExhausted
from serving.runtimes.base import Signature


def batchable(signature: Signature) -> bool:
    """Every input and output has a known rank >= 1 and a dynamic first dimension."""
    specs = list(signature.inputs.values()) + list(signature.outputs.values())
    return bool(specs) and all(s.shape and s.shape[0] == -1 for s in specs)


def rows_of(inputs: dict[str, np.ndarray]) -> int | None:
    """The common first dimension of the inputs, or None when they cannot be batched."""
    sizes = {a.shape[0] if a.ndim else None for a in inputs.values()}
    return sizes.pop() if len(sizes) == 1 and None not in sizes else None


class Batcher:
    def __init__(self, run: Callable[[dict, list | None], dict], config: BatchingConfig,
                 executor) -> None:
        self._run = run
        self._config = config
        self._executor = executor
        self._queues: dict[tuple, deque] = {}
        self._queued = 0
        self._workers = 0
        self._closed = False

    async def submit(self, inputs: dict[str, np.ndarray], output_keys: list | None,
                     rows: int) -> dict[str, np.ndarray]:
        limit = self._config.max_batch_size * self._config.max_enqueued_batches
        if self._queued + rows > limit and self._queued:
            raise ResourceExhausted("The batch scheduling queue to which this task was submitted "
                                    "is full")
        key = (tuple(output_keys or ()),
               tuple((k, a.dtype.str, a.shape[1:]) for k, a in sorted(inputs.items())))
        future = asyncio.get_running_loop().create_future()
        self._queues.setdefault(key, deque()).append((inputs, rows, future))
        self._queued += rows
        if self._workers < self._config.threads:
            self._workers += 1
            asyncio.ensure_future(self._work())
        return await future

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queues:
                if self._config.timeout_micros:
                    await asyncio.sleep(self._config.timeout_micros / 1e6)
                key, batch = self._take()
                if not batch:
                    continue
                try:
                    outputs = await loop.run_in_executor(self._executor, self._merged, key, batch)
                except Exception as exc:  # delivered to every waiting request  # noqa: BLE001
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, _, future), result in zip(batch, outputs):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._workers -= 1

    def _take(self) -> tuple[tuple, list]:
        key = next(iter(self._queues))
        queue = self._queues[key]
        batch, rows = [], 0
        while queue and (not batch or rows + queue[0][1] <= self._config.max_batch_size):
            item = queue.popleft()
            batch.append(item)
            rows += item[1]
        if not queue:
            del self._queues[key]
        self._queued -= rows
        return key, batch

    def _merged(self, key: tuple, batch: list) -> list:
        """Per request: its outputs, or the exception it alone causes (a failed batch is
        retried request by request so that one bad request never fails its neighbours)."""
        output_keys = list(key[0]) or None
        if len(batch) == 1:
            return [self._run(batch[0][0], output_keys)]
        try:
            return self._run_batch(batch, output_keys)
        except Exception:  # noqa: BLE001
            return [self._alone(item[0], output_keys) for item in batch]

    def _alone(self, inputs, output_keys):
        try:
            return self._run(inputs, output_keys)
        except Exception as exc:  # noqa: BLE001
            return exc

    def _run_batch(self, batch: list, output_keys) -> list[dict[str, np.ndarray]]:
        names = list(batch[0][0])
        merged = {n: np.concatenate([item[0][n] for item in batch]) for n in names}
        outputs = self._run(merged, output_keys)
        bounds = np.cumsum([item[1] for item in batch])[:-1]
        total = sum(item[1] for item in batch)
        split = {}
        for name, value in outputs.items():
            if value.ndim == 0 or value.shape[0] != total:
                raise Internal(f"Batched output {name} has {value.shape[:1]} rows, not {total}")
            split[name] = np.split(value, bounds)
        return [{n: parts[i] for n, parts in split.items()} for i in range(len(batch))]

    def close(self) -> None:
        self._closed = True
