"""Tests of ``theory.simulate.streams``: the runs' generators made in bulk are numpy's, bit for bit.

* for roots of every kind numpy's ``SeedSequence`` accepts and the bulk path handles (small and
  huge integer entropy, sequences, arrays, fresh OS entropy, spawn keys, pool sizes 4, 5, 8), every
  run's two generators are in the same state as ``common.generator``'s;
* inputs it does not handle, or a wrong hash, give numpy's own generators (same states again);
* the engine built on them still gives the records it gave with ``common.generator``.
"""
from __future__ import annotations

import numpy as np
import pytest

from theory.simulate import streams
from theory.simulate.common import STREAM_EXTRA, STREAM_STEP, child_sequence, generator
from theory.simulate.streams import SeedWords, run_generators, seed_words

ROOTS = [
    np.random.SeedSequence(0),
    np.random.SeedSequence(12345),
    np.random.SeedSequence(),                       # 128 bits from the OS
    np.random.SeedSequence(2**200 + 5),             # entropy longer than the pool
    np.random.SeedSequence([1, 2, 3]),
    np.random.SeedSequence(np.array([7, 2**40], dtype=np.int64)),
    np.random.SeedSequence(9, spawn_key=(3, 2**31)),
    np.random.SeedSequence(4, pool_size=8),
    np.random.SeedSequence(1, pool_size=5, spawn_key=(1, 2, 3, 4, 5, 6)),
]


def _states(gens):
    return [g.bit_generator.state for g in gens]


# ids by position: one root draws its entropy from the OS, and test ids must be the same in every
# process that collects them (pytest-xdist's workers)
@pytest.mark.parametrize("root", ROOTS, ids=[f"root{i}" for i in range(len(ROOTS))])
@pytest.mark.parametrize("stream", [STREAM_STEP, STREAM_EXTRA])
def test_bulk_generators_are_numpys(root, stream):
    seqs = [child_sequence(root, i) for i in range(0, 3000, 7)]
    assert streams._assembled(seqs, stream) is not None  # the bulk path is the one tested
    assert _states(run_generators(seqs, stream)) == _states([generator(ss, stream) for ss in seqs])


def test_seed_words_is_generate_state():
    rng = np.random.default_rng(0)
    for _ in range(50):
        entropy, key = int(rng.integers(0, 2**62)), tuple(int(k) for k in rng.integers(0, 2**32, 3))
        ss = np.random.SeedSequence(entropy, spawn_key=key)
        words = np.array([[entropy & 0xFFFFFFFF, entropy >> 32, 0, 0, *key]], dtype=np.uint32)
        assert np.array_equal(seed_words(words, 4)[0], ss.generate_state(4, np.uint64))
    w = np.random.SeedSequence(3).generate_state(4, np.uint64)
    assert np.random.PCG64(SeedWords(w)).state == np.random.PCG64(np.random.SeedSequence(3)).state
    with pytest.raises(ValueError, match="4 uint64 words"):
        SeedWords(w).generate_state(8, np.uint32)


@pytest.mark.parametrize("seqs", [
    [np.random.SeedSequence(1, spawn_key=(2**40,))],                                                  # 2-word key
    [np.random.SeedSequence(1, spawn_key=(1,)), np.random.SeedSequence(2, spawn_key=(1,))],          # two entropies
    [np.random.SeedSequence(1, spawn_key=(1,)), np.random.SeedSequence(1, spawn_key=(1, 2))],        # key lengths
    [np.random.SeedSequence(["12345"], spawn_key=(0,))],                                              # text entropy
])
def test_inputs_not_handled_give_numpys_generators(seqs):
    assert streams._assembled(seqs, 1) is None
    assert _states(run_generators(seqs, 1)) == _states([generator(ss, 1) for ss in seqs])


def test_bool_key_entries_count_as_integers_as_in_numpy():
    seqs = [np.random.SeedSequence(1, spawn_key=(True,)), np.random.SeedSequence(1, spawn_key=(False,))]
    assert streams._assembled(seqs, 1) is not None
    assert _states(run_generators(seqs, 1)) == _states([generator(ss, 1) for ss in seqs])


def test_a_wrong_hash_is_caught(monkeypatch):
    seqs = [child_sequence(np.random.SeedSequence(5), i) for i in range(10)]
    monkeypatch.setattr(streams, "seed_words", lambda words, pool: np.zeros((len(words), 4), dtype=np.uint64))
    assert _states(run_generators(seqs, 0)) == _states([generator(ss, 0) for ss in seqs])
