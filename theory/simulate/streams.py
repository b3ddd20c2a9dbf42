"""The runs' random streams, made for a whole chunk of runs at once.

Run ``i``'s stream ``j`` is the PCG64 generator seeded by ``SeedSequence(entropy, spawn_key=(...,
i, j))`` (``common.generator``).  Making one with numpy costs about 13 microseconds (measured:
7 for the ``SeedSequence``, 6.5 for ``PCG64`` and its ``generate_state``), two per run: a sixth of a
4000-step run of the compiled reduced engine at ``d = 50``.  :func:`run_generators` computes the same hash
(numpy's ``SeedSequence``: O'Neill's ``seed_seq`` mixing of the entropy words and the spawn key into
the pool, then ``generate_state(4, uint64)``) for all the runs of a chunk at once, with numpy's
uint32 arithmetic (which wraps modulo 2^32, as the C code does), and seeds each PCG64 with its
four words; the generators are the same, bit for bit.

This is a second implementation of numpy's seeding, so it checks itself: the first and the last
run of every chunk are compared with numpy's own ``SeedSequence``, and any difference, or any input
it does not handle (entropy that is not a non-negative integer or a sequence of them, a spawn-key
entry of 2^32 or more, runs that do not share entropy and pool size), makes it return numpy's
generators instead.

Examples
--------
>>> import numpy as np
>>> from theory.simulate.common import child_sequence, generator
>>> seqs = [child_sequence(np.random.SeedSequence(7), i) for i in range(3)]
>>> mine = run_generators(seqs, 1)
>>> [float(g.standard_normal()) for g in mine] == [float(generator(ss, 1).standard_normal()) for ss in seqs]
True
"""
from __future__ import annotations

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .common import generator

__all__ = ["run_generators", "seed_words", "SeedWords"]

# numpy/random/bit_generator.pyx
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_MASK = 0xFFFFFFFF


class SeedWords(ISeedSequence):
    """A seed sequence that hands a PCG64 the four ``uint64`` words computed for it.

    ``PCG64(SeedWords(w))`` is ``PCG64(ss)`` when ``w = ss.generate_state(4, np.uint64)``.
    """

    def __init__(self, words):
        self.words = np.asarray(words, dtype=np.uint64)

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != len(self.words) or np.dtype(dtype) != np.dtype(np.uint64):
            raise ValueError(f"these seed words are {len(self.words)} uint64 words, not {n_words} of {dtype}")
        return self.words.copy()


def _words_of(value) -> list[int] | None:
    """numpy's ``_coerce_to_uint32_array`` for non-negative integers and flat sequences of them, else ``None``."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        n = int(value)
        if n < 0:
            return None
        out = [n & _MASK]
        n >>= 32
        while n:
            out.append(n & _MASK)
            n >>= 32
        return out
    if isinstance(value, np.ndarray) and value.dtype == np.uint32 and value.ndim == 1:
        return [int(v) for v in value]
    if isinstance(value, (list, tuple, range, np.ndarray)):
        out = []
        for v in value:
            words = _words_of(v) if not isinstance(v, (list, tuple, range, np.ndarray)) else None
            if words is None:
                return None
            out.extend(words)
        return out
    return None


def _hashmix(value, hash_const):
    value = value ^ np.uint32(hash_const)
    hash_const = (hash_const * _MULT_A) & _MASK
    value = value * np.uint32(hash_const)
    return value ^ (value >> np.uint32(16)), hash_const


def _mix(x, y):
    result = _MIX_L * x - _MIX_R * y
    return result ^ (result >> np.uint32(16))


def seed_words(entropy_words: np.ndarray, pool_size: int) -> np.ndarray:
    """``SeedSequence.generate_state(4, np.uint64)`` for each row of assembled entropy words.

    Parameters
    ----------
    entropy_words : ndarray of uint32, shape (runs, L)
        Each row: the entropy's words (zero-padded to ``pool_size`` when there is a spawn key),
        then the spawn key's words.
    pool_size : int

    Returns
    -------
    ndarray of uint64, shape (runs, 4)

    Examples
    --------
    >>> import numpy as np
    >>> ss = np.random.SeedSequence(5, spawn_key=(2, 1))
    >>> words = np.array([[5, 0, 0, 0, 2, 1]], dtype=np.uint32)
    >>> bool(np.array_equal(seed_words(words, 4)[0], ss.generate_state(4, np.uint64)))
    True
    """
    ent = np.asarray(entropy_words, dtype=np.uint32)
    runs, length = ent.shape
    zeros = np.zeros(runs, dtype=np.uint32)
    pool = np.empty((runs, pool_size), dtype=np.uint32)
    hc = _INIT_A
    for i in range(pool_size):
        pool[:, i], hc = _hashmix(ent[:, i] if i < length else zeros, hc)
    for i_src in range(pool_size):
        for i_dst in range(pool_size):
            if i_src != i_dst:
                h, hc = _hashmix(pool[:, i_src], hc)
                pool[:, i_dst] = _mix(pool[:, i_dst], h)
    for i_src in range(pool_size, length):
        for i_dst in range(pool_size):
            h, hc = _hashmix(ent[:, i_src], hc)
            pool[:, i_dst] = _mix(pool[:, i_dst], h)
    state = np.empty((runs, 8), dtype=np.uint32)
    hc = _INIT_B
    for i in range(8):
        v = pool[:, i % pool_size] ^ np.uint32(hc)
        hc = (hc * _MULT_B) & _MASK
        v = v * np.uint32(hc)
        state[:, i] = v ^ (v >> np.uint32(16))
    return np.ascontiguousarray(state.astype("<u4")).view("<u8").astype(np.uint64)


def _assembled(run_seqs, stream):
    """The rows of entropy words of stream ``stream`` of each run, or ``None`` when not handled."""
    first = run_seqs[0]
    given = _words_of(first.entropy)
    if given is None:
        return None
    pool_size = int(first.pool_size)
    # there is always a spawn key here, so numpy pads short entropy with zeros to the pool size
    entropy = given + [0] * max(0, pool_size - len(given))
    rows = []
    for ss in run_seqs:
        if ss.pool_size != pool_size or (ss.entropy is not first.entropy and _words_of(ss.entropy) != given):
            return None
        rows.append(tuple(ss.spawn_key) + (stream,))
    try:
        keys = np.array(rows)
    except (ValueError, OverflowError):  # keys of different lengths, or integers beyond int64
        return None
    # every key entry one word: an integer in [0, 2^32) (numpy reads a bool as 0 or 1, and so does this)
    if keys.ndim != 2 or keys.dtype.kind not in "iu" or keys.min() < 0 or keys.max() > _MASK:
        return None
    return np.hstack([np.broadcast_to(np.array(entropy, dtype=np.uint32), (len(rows), len(entropy))),
                      keys.astype(np.uint32)]), pool_size


def run_generators(run_seqs, stream: int) -> list[np.random.Generator]:
    """``[common.generator(ss, stream) for ss in run_seqs]``, with the seeding done for all runs at once.

    Parameters
    ----------
    run_seqs : list of numpy.random.SeedSequence
    stream : int
        The stream's index (``common.STREAM_STEP`` or ``common.STREAM_EXTRA``).

    Returns
    -------
    list of numpy.random.Generator
        The same generators, in the same states; their ``bit_generator.seed_seq`` is a
        :class:`SeedWords` when they were made here.
    """
    if not run_seqs:
        return []
    assembled = _assembled(run_seqs, stream)
    if assembled is not None:
        words = seed_words(*assembled)
        checks = {0, len(run_seqs) - 1}
        if all(np.array_equal(words[r], np.random.SeedSequence(
                run_seqs[r].entropy, spawn_key=tuple(run_seqs[r].spawn_key) + (stream,),
                pool_size=run_seqs[r].pool_size).generate_state(4, np.uint64)) for r in checks):
            return [np.random.Generator(np.random.PCG64(SeedWords(w))) for w in words]
    return [generator(ss, stream) for ss in run_seqs]
