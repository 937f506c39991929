"""The inference workload: a deterministic two-layer perceptron over the input object.

The input is read as rows of ``inputs`` octets, each octet scaled to ``x = octet / 255``
(float32), the last row padded with zeros. With weights drawn from
``numpy.random.default_rng(seed).standard_normal(..., dtype=float32)`` in the order W1
(inputs x hidden), b1 (hidden), W2 (hidden x outputs), b2 (outputs), the weight matrices
scaled by 1/sqrt(fan-in), each row gives ``y = tanh(x W1 + b1) W2 + b2``. The result object
is the output matrix (rows x outputs, little-endian float32) in NumPy's .npy format 1.0.
"""

from __future__ import annotations

import io
import math
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flight_sw.compute.params import InferenceParams, Limits
from flight_sw.compute.source import InputSource, ResultSink, Workload

Matrix = npt.NDArray[np.float32]
DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class Model:
    """The weights of one seeded perceptron."""

    w1: Matrix
    b1: Matrix
    w2: Matrix
    b2: Matrix

    @classmethod
    def seeded(cls, params: InferenceParams, block: int = 1 << 62) -> Generator[None, None, Model]:
        """Draw the weights ``params.seed`` gives (the order of the draws is the definition),
        pausing (yielding) after every ``block`` values drawn."""
        rng = np.random.default_rng(params.seed)

        def draw(*shape: int) -> Generator[None, None, Matrix]:
            values = np.empty(math.prod(shape), dtype=np.float32)
            for start in range(0, values.size, block):
                count = min(block, values.size - start)
                values[start:start + count] = rng.standard_normal(count, dtype=np.float32)
                yield
            return values.reshape(shape)

        w1 = (yield from draw(params.inputs, params.hidden)) / np.float32(
            math.sqrt(params.inputs))
        b1 = yield from draw(params.hidden)
        w2 = (yield from draw(params.hidden, params.outputs)) / np.float32(
            math.sqrt(params.hidden))
        b2 = yield from draw(params.outputs)
        return cls(w1, b1, w2, b2)

    def forward(self, rows: Matrix) -> Matrix:
        """The outputs of a batch of input rows."""
        hidden: Matrix = np.tanh(rows @ self.w1 + self.b1)
        output: Matrix = hidden @ self.w2 + self.b2
        return output


def seeded_model(params: InferenceParams) -> Model:
    """The weights ``params.seed`` gives, drawn in one go."""
    setup = Model.seeded(params)
    while True:
        try:
            next(setup)
        except StopIteration as done:
            model: Model = done.value
            return model


def rows_of(size: int, params: InferenceParams) -> int:
    """Input rows of an object of ``size`` octets."""
    return -(-size // params.inputs)


def npy_header(rows: int, outputs: int) -> bytes:
    """The .npy 1.0 header of a rows x outputs little-endian float32 matrix."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": DTYPE.str, "fortran_order": False, "shape": (rows, outputs)})
    return buffer.getvalue()


def result_octets(size: int, params: InferenceParams) -> int:
    """Size of the result object for an input of ``size`` octets."""
    rows = rows_of(size, params)
    return len(npy_header(rows, params.outputs)) + rows * params.outputs * DTYPE.itemsize


def _progress(fraction: float, setup: Generator[None, None, Model]
              ) -> Generator[float, None, Model]:
    """Run ``setup`` in slices, reporting ``fraction`` done after each."""
    while True:
        try:
            next(setup)
        except StopIteration as done:
            model: Model = done.value
            return model
        yield fraction


def inference(params: InferenceParams, source: InputSource, result: ResultSink,
              limits: Limits) -> Workload:
    """Run the perceptron over every row, a bounded batch of rows per slice."""
    rows = rows_of(source.size, params)
    result.add(npy_header(rows, params.outputs))
    result.reserve(rows * params.outputs * DTYPE.itemsize)  # fail before computing
    model = yield from _progress(0.0, Model.seeded(params, limits.slice_weights))
    macs_per_row = params.hidden * (params.inputs + params.outputs)
    batch = max(1, min(limits.chunk_octets // params.inputs, limits.slice_macs // macs_per_row))
    for data in source.chunks(batch * params.inputs):
        padded = data + bytes(-len(data) % params.inputs)
        octets = np.frombuffer(padded, dtype=np.uint8).reshape(-1, params.inputs)
        x = octets.astype(np.float32) / np.float32(255)
        result.add(model.forward(x).astype(DTYPE).tobytes())
        yield source.fraction
