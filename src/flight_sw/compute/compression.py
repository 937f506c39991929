"""Compress and decompress workloads with the standard library's zlib (RFC 1950) and lzma
(.xz container) codecs, streamed: each slice feeds one input chunk, and decompression yields
at most one chunk of output per slice, so a small input that expands enormously (a
decompression bomb) still advances in bounded slices and stops at the result limit."""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterator

from flight_sw.compute.params import Algorithm, CompressParams, DecompressParams, Limits
from flight_sw.compute.source import InputSource, ResultSink, Workload, WorkloadError
from flight_sw.services.verification import ErrorCode

_CODEC_ERRORS = (zlib.error, lzma.LZMAError)


def compress(params: CompressParams, source: InputSource, result: ResultSink,
             limits: Limits) -> Workload:
    """The input compressed as one stream of ``params.algorithm``."""
    coder = (zlib.compressobj(params.level) if params.algorithm is Algorithm.ZLIB
             else lzma.LZMACompressor(preset=params.level))
    for data in source.chunks(limits.chunk_octets):
        result.add(coder.compress(data))
        yield source.fraction
    result.add(coder.flush())


class _Decoder:
    """One stream decoder with output bounded per call."""

    def __init__(self, algorithm: Algorithm, max_octets: int) -> None:
        self.max_octets = max_octets
        self._zlib = zlib.decompressobj() if algorithm is Algorithm.ZLIB else None
        self._lzma = lzma.LZMADecompressor() if algorithm is Algorithm.LZMA else None

    @property
    def eof(self) -> bool:
        """The end of the stream was reached."""
        coder = self._zlib or self._lzma
        assert coder is not None
        return coder.eof

    @property
    def unused(self) -> bytes:
        """Octets found after the end of the stream."""
        coder = self._zlib or self._lzma
        assert coder is not None
        return coder.unused_data

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of ``data``, each at most ``max_octets``."""
        if self._zlib is not None:
            pending = data
            while pending and not self._zlib.eof:
                yield self._zlib.decompress(pending, self.max_octets)
                pending = self._zlib.unconsumed_tail
        elif self._lzma is not None:
            yield self._lzma.decompress(data, self.max_octets)
            while not self._lzma.needs_input and not self._lzma.eof:
                yield self._lzma.decompress(b"", self.max_octets)

    def finish(self) -> bytes:
        """What the decoder still holds once the input is over."""
        return self._zlib.flush() if self._zlib is not None else b""


def decompress(params: DecompressParams, source: InputSource, result: ResultSink,
               limits: Limits) -> Workload:
    """The input decoded as exactly one stream of ``params.algorithm``: corrupt, truncated
    or trailing data fail the job (EXECUTION_FAILED)."""
    decoder = _Decoder(params.algorithm, limits.chunk_octets)
    try:
        for data in source.chunks(limits.chunk_octets):
            if decoder.eof:
                raise WorkloadError(ErrorCode.EXECUTION_FAILED, "data after the stream")
            for piece in decoder.feed(data):
                result.add(piece)
                yield source.fraction
        result.add(decoder.finish())
    except _CODEC_ERRORS as exc:
        raise WorkloadError(ErrorCode.EXECUTION_FAILED,
                            f"{source.name} is not a valid {params.algorithm.name} stream: "
                            f"{exc}") from None
    if not decoder.eof:
        raise WorkloadError(ErrorCode.EXECUTION_FAILED, f"{source.name}: truncated stream")
    if decoder.unused:
        raise WorkloadError(ErrorCode.EXECUTION_FAILED, "data after the stream")
